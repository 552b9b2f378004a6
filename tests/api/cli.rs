//! The operator contract: the real binary, its exit codes and its one-line errors.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{TestDatabase, assert_setting_refused, binary, cli_command};

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_answers_help() {
    for args in [vec!["--help"], vec!["serve", "--help"], vec!["migrate", "--help"], vec!["audit", "verify", "--help"]]
    {
        let output = std::process::Command::new(binary()).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn a_bad_flag_is_one_line_on_stderr_and_exit_2() {
    let output = std::process::Command::new(binary()).arg("--no-such-flag").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
}

#[test]
fn a_bad_setting_is_one_line_naming_it_and_exit_2() {
    let cases = [
        ("TRESOR__SERVER__WORKERS", "many", "workers"),
        ("TRESOR__SERVER__NO_SUCH_KEY", "1", "no_such_key"),
        ("PORT", "eighty", "PORT"),
        ("DATABASE_URL", "mysql://root:hunter2@localhost/x", "mysql"),
        ("TRESOR_ENV", "../etc", "TRESOR_ENV"),
        ("TRESOR__LEDGER__MAX_TRANSACTION", "-5", "ledger.max_transaction"),
        ("TRESOR__MFA__ISSUER", "a:b", "mfa.issuer"),
        ("TRESOR__PASSWORDS__MIN_LENGTH", "200", "passwords.min_length"),
        ("TRESOR__JOBS__QUEUES__SEND_EMAL__CONCURRENCY", "2", "jobs.queues.send_emal is not a queue"),
        ("TRESOR__IDENTITY__ACCESS_TOKEN_MINUTES", "0", "identity.access_token_minutes"),
    ];
    for (name, value, named) in cases {
        let stderr = assert_setting_refused(name, value, named);
        assert!(!stderr.contains("hunter2"), "a password never reaches the terminal: {stderr}");
    }
}

#[test]
fn any_environment_name_works_and_only_production_has_production_rules() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("s.db").display());
    let weak = |env: &str| {
        cli_command(dir.path(), &database)
            .env("TRESOR_ENV", env)
            .env("TRESOR_PUBLIC_URL", "https://bank.example")
            .env("TRESOR__PASSWORDS__ARGON2_MEMORY_KIB", "8")
            .arg("migrate")
            .output()
            .unwrap()
    };
    let staging = weak("staging");
    assert_eq!(staging.status.code(), Some(0), "{}", stderr_of(&staging));
    let production = weak("production");
    assert_eq!(production.status.code(), Some(2));
    let stderr = stderr_of(&production);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("passwords.argon2_memory_kib") && stderr.contains("OWASP"), "{stderr}");
}

#[test]
fn production_refuses_to_start_without_keys_and_names_the_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("t.db").display());
    let output = cli_command(dir.path(), &database)
        .env("TRESOR_ENV", "production")
        .env("TRESOR_PUBLIC_URL", "https://bank.example")
        .env("TRESOR_BIND", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("signing.json"), "{stderr}");
    assert!(!dir.path().join("keys").exists(), "production never generates keys");
}

#[test]
fn production_refuses_a_plain_http_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    let output = cli_command(dir.path(), &database).env("TRESOR_ENV", "production").arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("https"));
}

#[actix_web::test]
async fn two_migrate_processes_started_together_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let spawn = || cli_command(dir.path(), &database.url).arg("migrate").stderr(Stdio::piped()).spawn().unwrap();
    let (first, second) = (spawn(), spawn());
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    }
    let again = cli_command(dir.path(), &database.url).arg("migrate").output().unwrap();
    assert_eq!(again.status.code(), Some(0), "migrate is idempotent: {}", stderr_of(&again));
}

#[actix_web::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let port = free_port();
    let mut child = crate::support::identity::Running(
        cli_command(dir.path(), &database.url)
            .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
            .env("TRESOR__SERVER__WORKERS", "1")
            .arg("serve")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let ready = format!("http://127.0.0.1:{port}/health/ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(&ready).send().await {
            assert_eq!(response.status(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let kill = std::process::Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop after SIGTERM");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status.code(), Some(0));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
