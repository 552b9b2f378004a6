//! A real `tresor worker` process killed with SIGKILL in the middle of a batch of `send_email`
//! jobs: after a restart every message arrives, each recipient sees one Message-ID, none is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use tresor::mail;
use tresor_jobs::email::{Email, Template};

use crate::support::identity::Running;
use crate::support::jobs::{SmtpOptions, SmtpServer, eventually, header};
use crate::support::{TestApp, cli_command, spawn_app};

const MESSAGES: usize = 24;

/// A `tresor worker` process, killed when the test ends however it ends.
fn worker(app: &TestApp, smtp: &SmtpServer) -> Running {
    Running(
        cli_command(app.data_dir.path(), &app.database.url)
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
    let app = spawn_app().await;
    // A slow server, so the kill lands while messages are in flight.
    let smtp = SmtpServer::start(SmtpOptions { delay_secs: 0.15, ..SmtpOptions::default() }).await;
    let state = &app.state;
    let mut expected = BTreeMap::new();
    let mut tx = state.db.begin().await.unwrap();
    for n in 0..MESSAGES {
        let to = format!("user{n}@example.com");
        let email = Email {
            to: to.clone(),
            template: Template::PasswordChanged,
            data: serde_json::json!({"full_name": format!("User {n}")}),
        };
        let (id, deferred) = mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await.unwrap();
        assert!(deferred.is_empty(), "the database queue takes the job in the transaction");
        expected.insert(to, format!("<{id}@localhost>"));
    }
    tx.commit().await.unwrap();

    let mut first = worker(&app, &smtp);
    eventually(Duration::from_secs(30), "some messages to arrive", async || smtp.received().len() >= 4).await;
    first.0.kill().unwrap(); // SIGKILL: no shutdown, no acknowledgements flushed
    first.0.wait().unwrap();
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
    eventually(Duration::from_secs(60), "every message after the restart", async || seen().len() == MESSAGES).await;
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
        "{before_restart} of {MESSAGES} delivered before the kill; {resent} resent after it with the same Message-ID"
    );
}
