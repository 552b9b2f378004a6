//! A real `tresor worker` process killed with SIGKILL in the middle of a batch of `send_email`
//! jobs, on each backend: after a restart every message arrives, within the stated orphan bound
//! (`heartbeat_secs × (missed_heartbeats + 1) + poll_interval_ms`, plus the sending), each
//! recipient sees one Message-ID, none is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use figment::providers::Serialized;
use tresor_jobs::settings::Backend;

use tresor::mail;
use tresor_jobs::email::{Email, Template};

use crate::support::identity::Running;
use crate::support::jobs::{SmtpOptions, SmtpServer, eventually, header};
use crate::support::{TestApp, cli_command, redis_url, spawn_app_with};

const MESSAGES: usize = 24;

/// The orphan bound of the workers below: a heartbeat each second, two missed, polls every 50 ms.
const ORPHAN_BOUND: Duration = Duration::from_millis(1_000 * (2 + 1) + 50);

/// A `tresor worker` process on the app's queue, killed when the test ends however it ends.
fn worker(app: &TestApp, smtp: &SmtpServer) -> Running {
    let mut command = cli_command(app.data_dir.path(), &app.database.url);
    if app.state.jobs.backend() == Backend::Redis {
        command
            .env("REDIS_URL", redis_url().unwrap())
            .env("TRESOR__REDIS__PREFIX", &app.state.config.settings.redis.prefix)
            .env("TRESOR__JOBS__BACKEND", "redis");
    }
    Running(
        command
            .env("SMTP_URL", smtp.url())
            .env("TRESOR__JOBS__EMBEDDED", "false")
            .env("TRESOR__JOBS__POLL_INTERVAL_MS", "50")
            .env("TRESOR__JOBS__HEARTBEAT_SECS", "1")
            .env("TRESOR__JOBS__MISSED_HEARTBEATS", "2")
            .env("TRESOR__JOBS__QUEUES__SEND_EMAIL__CONCURRENCY", "2")
            .env("TRESOR__JOBS__QUEUES__SEND_EMAIL__BATCH_SIZE", "6")
            .args(["worker", "--queues", "send_email"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tresor worker starts"),
    )
}

#[actix_web::test]
async fn a_worker_killed_mid_batch_loses_no_mail_and_resends_with_the_same_message_id() {
    for backend in crate::support::jobs::backends() {
        killed_mid_batch(backend).await;
    }
}

async fn killed_mid_batch(backend: Backend) {
    let name = if backend == Backend::Redis { "redis" } else { "database" };
    let app = spawn_app_with(|figment| figment.merge(Serialized::default("jobs.backend", name))).await;
    assert_eq!(app.state.jobs.backend(), backend);
    // A slow server, so the kill lands while messages are in flight.
    let smtp = SmtpServer::start(SmtpOptions { delay_secs: 0.15, ..SmtpOptions::default() }).await;
    let state = &app.state;
    let mut expected = BTreeMap::new();
    let mut pushes = Vec::new();
    let mut tx = state.db.begin().await.unwrap();
    for n in 0..MESSAGES {
        let to = format!("user{n}@example.com");
        let email = Email {
            to: to.clone(),
            template: Template::PasswordChanged,
            data: serde_json::json!({"full_name": format!("User {n}")}),
        };
        let (id, deferred) = mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await.unwrap();
        pushes.push(deferred);
        expected.insert(to, format!("<{id}@localhost>"));
    }
    tx.commit().await.unwrap();
    for deferred in pushes {
        deferred.after_commit(&state.jobs).await;
    }

    let mut first = worker(&app, &smtp);
    eventually(Duration::from_secs(30), "some messages to arrive", async || smtp.received().len() >= 4).await;
    first.0.kill().unwrap(); // SIGKILL: no shutdown, no acknowledgements flushed
    first.0.wait().unwrap();
    let killed = Instant::now();
    let before_restart = smtp.received().len();
    assert!(before_restart < MESSAGES, "the kill landed mid-batch ({before_restart} of {MESSAGES} arrived)");

    let mut second = worker(&app, &smtp);
    let seen = || -> BTreeMap<String, BTreeSet<String>> {
        let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for message in smtp.received() {
            let to = header(&message, "To").unwrap();
            seen.entry(to).or_default().insert(header(&message, "Message-ID").unwrap());
        }
        seen
    };
    // The bound, plus sending what is left at 0.15 s a message, plus room for a loaded machine.
    let within = ORPHAN_BOUND + Duration::from_secs(30);
    eventually(within, "every message within the orphan bound after the restart", async || seen().len() == MESSAGES)
        .await;
    let taken_over_in = killed.elapsed();
    // Let the restarted worker finish anything it re-runs, then compare.
    tokio::time::sleep(Duration::from_secs(2)).await;
    second.0.kill().unwrap();
    second.0.wait().unwrap();
    for (to, ids) in seen() {
        assert_eq!(ids.len(), 1, "{to} saw one Message-ID");
        assert_eq!(ids.iter().next(), expected.get(&to), "{to}: the Message-ID derives from its job");
    }
    let resent = smtp.received().len() - MESSAGES;
    println!(
        "{name}: {before_restart} of {MESSAGES} delivered before the kill; all delivered {taken_over_in:?} after it \
         (orphan bound {ORPHAN_BOUND:?}); {resent} resent with the same Message-ID"
    );
}
