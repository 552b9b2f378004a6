//! `[rate_limits]`: 429 with Retry-After, a security event and a metric; keys by client IP (via
//! trusted proxies only); shared through Redis; fail closed when Redis is down.

use figment::providers::Serialized;
use serde_json::json;

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{TestApp, assert_problem, redis_url, spawn_app_with};

/// Requests appear to come from `ip` (the test app trusts 127.0.0.1 as its proxy).
async fn login_from(app: &TestApp, ip: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": "wrong password entirely"}))
        .send()
        .await
        .unwrap()
}

fn random_ip() -> String {
    let b = uuid::Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2].max(1))
}

fn limited(f: figment::Figment, key: &str, value: &str) -> figment::Figment {
    f.merge(Serialized::default("server.trusted_proxies", vec!["127.0.0.1"])).merge(Serialized::default(key, value))
}

#[actix_web::test]
async fn login_per_ip_and_email_answers_429_with_retry_after_an_event_and_a_metric() {
    let app = spawn_app_with(|f| limited(f, "rate_limits.login_ip_email", "3/min")).await;
    let (ip, email) = (random_ip(), unique_email("rl"));
    for _ in 0..3 {
        assert_eq!(login_from(&app, &ip, &email).await.status(), 401);
    }
    let response = login_from(&app, &ip, &email).await;
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_problem(response, 429, "rate-limited").await;
    assert_problem(login_from(&app, &ip, &email).await, 429, "rate-limited").await;
    assert_eq!(login_from(&app, &ip, &unique_email("other")).await.status(), 401, "another email passes");
    assert_eq!(login_from(&app, &random_ip(), &email).await.status(), 401, "another IP passes");
    let events = app.security_events("rate_limited").await;
    assert_eq!(events.len(), 1, "one event per limited key and period: {events:?}");
    assert_eq!(events[0]["ip"], ip);
    let metrics = app.metrics().await.text().await.unwrap();
    assert!(metrics.contains("rate_limited_total{limit=\"login_ip_email\"}"), "{metrics}");
}

#[actix_web::test]
async fn registration_is_limited_per_ip() {
    let app = spawn_app_with(|f| limited(f, "rate_limits.register", "2/h")).await;
    let ip = random_ip();
    let register = |email: String| {
        app.client
            .post(app.url("/v1/auth/register"))
            .header("x-forwarded-for", ip.clone())
            .json(&json!({"email": email, "password": PASSWORD, "full_name": "Ada"}))
            .send()
    };
    assert_eq!(register(unique_email("a")).await.unwrap().status(), 201);
    assert_eq!(register(unique_email("b")).await.unwrap().status(), 201);
    let third = register(unique_email("c")).await.unwrap();
    assert!(third.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 60);
    assert_problem(third, 429, "rate-limited").await;
}

#[actix_web::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("rate_limits.login_ip", "2/min"))).await;
    let email = unique_email("xff");
    assert_eq!(login_from(&app, &random_ip(), &email).await.status(), 401);
    assert_eq!(login_from(&app, &random_ip(), &email).await.status(), 401);
    assert_problem(login_from(&app, &random_ip(), &email).await, 429, "rate-limited").await;
}

#[actix_web::test]
async fn with_redis_two_servers_share_one_budget() {
    if redis_url().is_none() {
        eprintln!("skipped: needs TEST_REDIS_URL");
        return;
    }
    let prefix = format!("tresor-test-{}", uuid::Uuid::new_v4().simple());
    let shared = |f: figment::Figment| {
        limited(f, "rate_limits.login_ip", "3/min").merge(Serialized::default("redis.prefix", prefix.clone()))
    };
    let first = spawn_app_with(shared).await;
    let second = spawn_app_with(shared).await;
    let ip = random_ip();
    for app in [&first, &second, &first] {
        assert_eq!(login_from(app, &ip, &unique_email("r")).await.status(), 401);
    }
    assert_problem(login_from(&second, &ip, &unique_email("r")).await, 429, "rate-limited").await;
}

#[actix_web::test]
async fn with_redis_unreachable_limited_endpoints_fail_closed() {
    let app = spawn_app_with(|f| {
        limited(f, "rate_limits.login_ip", "3/min").merge(Serialized::default("redis.url", "redis://127.0.0.1:1"))
    })
    .await;
    let response = login_from(&app, &random_ip(), &unique_email("down")).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503, "service-unavailable").await;
}

#[actix_web::test]
async fn refresh_is_limited_per_session() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("rate_limits.refresh", "2/min"))).await;
    let signed = app.signed_in().await;
    let mut token = signed.refresh.clone();
    for _ in 0..2 {
        let body: serde_json::Value = app.refresh(&token).await.json().await.unwrap();
        token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    assert_problem(app.refresh(&token).await, 429, "rate-limited").await;
}
