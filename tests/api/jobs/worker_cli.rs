//! `tresor worker` and the workers embedded in `tresor serve`, as an operator runs them.

use std::process::Stdio;
use std::time::Duration;

use tresor::mail;
use tresor_jobs::email::{Email, Template};

use crate::support::jobs::{eventually, free_port};
use crate::support::{cli_command, spawn_app};

#[test]
fn worker_answers_help_and_refuses_an_unknown_queue_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let help = cli_command(dir.path(), "sqlite://unused.db").args(["worker", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--queues"));
    let bad =
        cli_command(dir.path(), "sqlite://unused.db").args(["worker", "--queues", "send_email,nope"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("\"nope\"") && stderr.contains("send_email"), "{stderr}");
}

#[test]
fn a_bad_jobs_setting_is_one_line_naming_it_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("TRESOR__JOBS__SCHEDULES__CLEANUP", "every hour", "jobs.schedules.cleanup"),
        ("TRESOR__JOBS__QUEUES__SEND_EMAIL__MAX_ATTEMPTS", "0", "jobs.queues.send_email"),
        ("TRESOR__JOBS__BACKEND", "redis", "REDIS_URL"),
        ("TRESOR__JOBS__BACKEND", "kafka", "backend"),
    ];
    for (name, value, named) in cases {
        let output = cli_command(dir.path(), "sqlite://unused.db").env(name, value).arg("worker").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.to_lowercase().contains(&named.to_lowercase()), "{name}: {stderr}");
    }
}

#[actix_web::test]
async fn serve_runs_the_workers_in_process_and_stops_them_on_sigterm() {
    let app = spawn_app().await; // only to own a database and data folder with keys
    let state = &app.state;
    let mut tx = state.db.begin().await.unwrap();
    let email = Email {
        to: "frank@example.com".into(),
        template: Template::MfaEnabled,
        data: serde_json::json!({"full_name": "Frank"}),
    };
    let (id, _) = mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await.unwrap();
    tx.commit().await.unwrap();

    let port = free_port();
    let mut serve = crate::support::identity::Running(
        cli_command(app.data_dir.path(), &app.database.url)
            .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
            .env("TRESOR__SERVER__WORKERS", "1")
            .env("TRESOR__JOBS__POLL_INTERVAL_MS", "50")
            .arg("serve")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let path = app.data_dir.path().join("mail").join(format!("{id}.eml"));
    eventually(Duration::from_secs(30), "the embedded worker to write the mail", async || path.exists()).await;
    let kill = std::process::Command::new("kill").args(["-TERM", &serve.0.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut status = None;
    eventually(Duration::from_secs(20), "serve to stop", async || {
        status = serve.0.try_wait().unwrap();
        status.is_some()
    })
    .await;
    assert_eq!(status.unwrap().code(), Some(0));
}
