//! Two `tresor serve` processes on one database and Redis: the lockout and revocations hold
//! across them.

use figment::providers::Serialized;
use serde_json::Value;

use super::lockout::verified_wrong_passwords;
use crate::support::identity::{Running, server_process};
use crate::support::{TestApp, redis_url, spawn_app_with};

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
    let (_other, second) = second_server(&app, &redis).await;
    let body = serde_json::json!({"email": user.email, "password": "wrong password entirely"});
    let attempts = (0..100).map(|n| {
        let base = if n % 2 == 0 { app.address.clone() } else { second.clone() };
        app.client.post(format!("{base}/v1/auth/login")).json(&body).send()
    });
    let responses = futures::future::join_all(attempts).await;
    for response in responses {
        let status = response.unwrap().status();
        assert!(status == 401 || status == 503, "{status}");
    }
    let verified = verified_wrong_passwords(&app, 100).await;
    assert!((1..=5).contains(&verified), "{verified} verified");
    let locked: Value = app.login(&user.email, &user.password).await.json().await.unwrap();
    assert_eq!(locked["type"], "/problems/invalid-credentials");
}

/// Starts a second `tresor serve` on the test's database, data folder (keys) and Redis.
async fn second_server(app: &TestApp, redis: &str) -> (Running, String) {
    let env = [
        ("REDIS_URL", redis.to_owned()),
        ("TRESOR__RATE_LIMITS__LOGIN_IP", "off".to_owned()),
        ("TRESOR__RATE_LIMITS__LOGIN_IP_EMAIL", "off".to_owned()),
    ];
    server_process(app, &env).await
}

/// Logout on one server stops the access token on the other at once (through Redis), although
/// the other trusted the session a moment before.
#[actix_web::test]
async fn logout_on_one_server_stops_the_token_on_another_at_once() {
    let Some(redis) = redis_url() else {
        eprintln!("skipped: needs TEST_REDIS_URL");
        return;
    };
    let app = spawn_app_with(|f| f.merge(Serialized::default("identity.session_cache_millis", 60_000))).await;
    let signed = app.signed_in().await;
    let (_other, second) = second_server(&app, &redis).await;
    let on_second = || app.client.get(format!("{second}/v1/auth/sessions")).bearer_auth(&signed.access).send();
    assert_eq!(on_second().await.unwrap().status(), 200, "the second server trusts the session now");
    assert_eq!(app.logout(&signed.access, &serde_json::json!({})).await.status(), 204);
    let after = on_second().await.unwrap().status();
    assert_eq!(after, 401, "revoked everywhere at once");
}
