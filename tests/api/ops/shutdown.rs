//! `tresor serve` with its embedded job workers stopped by SIGTERM twenty times while mail jobs
//! are being sent: it exits 0 each time with no panic in its log (the workers, the mailer's
//! pool and the database connections are drained and dropped inside the runtime), and every
//! message is delivered in the end (nothing is lost; one stopped mid-send may be sent again).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tresor::mail;
use tresor_jobs::email::{Email, Template};

use crate::support::jobs::{SmtpOptions, SmtpServer, eventually, header};
use crate::support::process::{Process, free_port, wait_ready};
use crate::support::{TestApp, cli_command, spawn_app};

const ROUNDS: usize = 20;
const PER_ROUND: usize = 4;

async fn enqueue(app: &TestApp, round: usize) {
    let state = &app.state;
    let mut tx = state.db.begin().await.unwrap();
    for n in 0..PER_ROUND {
        let email = Email {
            to: format!("r{round}-m{n}@example.com"),
            template: Template::PasswordChanged,
            data: serde_json::json!({"full_name": "Ada"}),
        };
        let (_, deferred) = mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await.unwrap();
        assert!(deferred.is_empty(), "the database queue takes the job in the transaction");
    }
    tx.commit().await.unwrap();
}

fn serve(app: &TestApp, smtp: &SmtpServer, port: u16, log: &std::path::Path) -> Process {
    Process::start(
        cli_command(app.data_dir.path(), &app.database.url)
            .env("RUST_LOG", "info")
            .env("SMTP_URL", smtp.url())
            .env("TRESOR__REDIS__PREFIX", &app.state.config.settings.redis.prefix)
            .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
            .env("TRESOR__SERVER__WORKERS", "1")
            .env("TRESOR__SERVER__SHUTDOWN_TIMEOUT_SECS", "3")
            .env("TRESOR__JOBS__SHUTDOWN_TIMEOUT_SECS", "3")
            .env("TRESOR__JOBS__POLL_INTERVAL_MS", "50")
            .env("TRESOR__JOBS__HEARTBEAT_SECS", "1")
            .env("TRESOR__JOBS__MISSED_HEARTBEATS", "2")
            .arg("serve"),
        log,
    )
}

#[actix_web::test]
async fn twenty_sigterms_with_mail_in_flight_panic_never_and_lose_nothing() {
    let app = spawn_app().await;
    // A slow SMTP server, so each SIGTERM lands while messages are being sent.
    let smtp = SmtpServer::start(SmtpOptions { delay_secs: 0.2, ..SmtpOptions::default() }).await;
    let logs = tempfile::tempdir().unwrap();
    for round in 0..ROUNDS {
        enqueue(&app, round).await;
        let port = free_port();
        let log = logs.path().join(format!("serve-{round}.log"));
        let mut process = serve(&app, &smtp, port, &log);
        wait_ready(&format!("http://127.0.0.1:{port}"), Duration::from_secs(30)).await;
        let received = smtp.received().len();
        let deadline = Instant::now() + Duration::from_secs(3);
        while smtp.received().len() == received && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        process.terminate();
        let status = process.wait(Duration::from_secs(20)).await;
        let text = process.log_text();
        assert_eq!(status.code(), Some(0), "round {round}:\n{text}");
        for bad in ["panicked", "panic", "no reactor running", "Tokio context"] {
            assert!(!text.contains(bad), "round {round}: {bad:?} in the log:\n{text}");
        }
    }
    // One more run sends whatever the stops left queued.
    let port = free_port();
    let mut last = serve(&app, &smtp, port, &logs.path().join("serve-last.log"));
    wait_ready(&format!("http://127.0.0.1:{port}"), Duration::from_secs(30)).await;
    let expected: BTreeSet<String> =
        (0..ROUNDS).flat_map(|r| (0..PER_ROUND).map(move |n| format!("r{r}-m{n}@example.com"))).collect();
    let delivered = || smtp.received().iter().filter_map(|m| header(m, "To")).collect::<BTreeSet<String>>();
    eventually(Duration::from_secs(90), "every message", async || delivered() == expected).await;
    last.terminate();
    assert_eq!(last.wait(Duration::from_secs(20)).await.code(), Some(0), "{}", last.log_text());
}
