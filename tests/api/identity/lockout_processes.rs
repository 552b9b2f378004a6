//! The lockout across processes: two `tresor serve` on one PostgreSQL and Redis.

use std::process::Stdio;
use std::time::{Duration, Instant};

use figment::providers::Serialized;
use serde_json::Value;

use super::lockout::verified_wrong_passwords;
use crate::helpers::{cli_command, redis_url, spawn_app_with};

/// Two `tresor serve` processes on one PostgreSQL and Redis: 100 parallel guesses split between
/// them still verify at most five passwords. Runs only with TEST_DATABASE_URL and TEST_REDIS_URL.
#[actix_web::test]
async fn two_server_processes_share_one_lockout() {
    let (Some(redis), true) = (redis_url(), std::env::var("TEST_DATABASE_URL").is_ok()) else {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL");
        return;
    };
    let app = spawn_app_with(|f| f.merge(Serialized::default("identity.lockout_threshold", 5))).await;
    let user = app.verified_user().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut other = cli_command(app.data_dir.path(), &app.database.url)
        .env("REDIS_URL", redis)
        .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
        .env("TRESOR__SERVER__WORKERS", "2")
        .env("TRESOR__PASSWORDS__ARGON2_MEMORY_KIB", "1024")
        .env("TRESOR__PASSWORDS__ARGON2_ITERATIONS", "1")
        .env("TRESOR__RATE_LIMITS__LOGIN_IP", "off")
        .env("TRESOR__RATE_LIMITS__LOGIN_IP_EMAIL", "off")
        .arg("serve")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.client.get(format!("{second}/health/ready")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "the second server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let body = serde_json::json!({"email": user.email, "password": "wrong password entirely"});
    let attempts = (0..100).map(|n| {
        let base = if n % 2 == 0 { app.address.clone() } else { second.clone() };
        app.client.post(format!("{base}/v1/auth/login")).json(&body).send()
    });
    let responses = futures::future::join_all(attempts).await;
    let _ = other.kill();
    let _ = other.wait();
    for response in responses {
        let status = response.unwrap().status();
        assert!(status == 401 || status == 503, "{status}");
    }
    let verified = verified_wrong_passwords(&app, 100).await;
    assert!((1..=5).contains(&verified), "{verified} verified");
    let locked: Value = app.login(&user.email, &user.password).await.json().await.unwrap();
    assert_eq!(locked["type"], "/problems/invalid-credentials");
}
