//! `GET /v1/users/me`, `GET /v1/accounts` and `GET /v1/accounts/{id}` are served from memory
//! between changes. A committed change shows on the next read: in the process that made it at
//! once; in another process at once with Redis, and within `[identity] session_cache_millis`
//! without it.

use std::time::Duration;

use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::identity::{Running, server_process};
use crate::support::{TestApp, redis_url, spawn_app_with};

/// Long enough that only an announced change can make a kept read fresh within a test.
const LONG_TTL: u64 = 60_000;

struct Customer {
    token: String,
    account: String,
    number: String,
}

async fn app_keeping_reads_for(millis: u64) -> TestApp {
    spawn_app_with(|f| {
        f.merge(Serialized::default("identity.session_cache_millis", millis))
            .merge(Serialized::default("rate_limits.transfers", "off"))
    })
    .await
}

async fn customer(app: &TestApp) -> Customer {
    let signed = app.signed_in().await;
    app.approve_kyc(&signed.user.id).await;
    let opened = app.post_authed("/v1/accounts", &signed.access, &json!({"kind": "checking", "currency": "USD"})).await;
    assert_eq!(opened.status(), 201);
    let account: Value = opened.json().await.unwrap();
    Customer {
        token: signed.access,
        account: account["id"].as_str().unwrap().to_owned(),
        number: account["number"].as_str().unwrap().to_owned(),
    }
}

async fn get(app: &TestApp, base: &str, path: &str, token: &str) -> Value {
    let response = app.client.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn account_balance(app: &TestApp, base: &str, who: &Customer) -> i64 {
    get(app, base, &format!("/v1/accounts/{}", who.account), &who.token).await["balance"].as_i64().unwrap()
}

/// The account's balance as `GET /v1/accounts/{id}` and `GET /v1/accounts` both show it (they
/// must agree while nothing moves).
async fn balance(app: &TestApp, base: &str, who: &Customer) -> i64 {
    let one = get(app, base, &format!("/v1/accounts/{}", who.account), &who.token).await;
    let listed = get(app, base, "/v1/accounts", &who.token).await;
    let in_list = listed["items"].as_array().unwrap().iter().find(|a| a["id"] == one["id"]).unwrap();
    assert_eq!(in_list["balance"], one["balance"], "the list and the account agree");
    one["balance"].as_i64().unwrap()
}

async fn post(app: &TestApp, base: &str, path: &str, token: &str, body: &Value) {
    let response = app
        .client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{path}");
}

async fn deposit(app: &TestApp, base: &str, who: &Customer, amount: i64) {
    post(app, base, &format!("/v1/accounts/{}/deposits", who.account), &who.token, &json!({"amount": amount})).await;
}

async fn rename(app: &TestApp, base: &str, who: &Customer, name: &str) {
    let response = app
        .client
        .patch(format!("{base}/v1/users/me"))
        .bearer_auth(&who.token)
        .json(&json!({"full_name": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn name(app: &TestApp, base: &str, who: &Customer) -> String {
    get(app, base, "/v1/users/me", &who.token).await["full_name"].as_str().unwrap().to_owned()
}

/// Reads twice, so that what follows is served from memory if anything is.
async fn warm(app: &TestApp, base: &str, who: &Customer) {
    for _ in 0..3 {
        balance(app, base, who).await;
        name(app, base, who).await;
    }
}

#[actix_web::test]
async fn every_change_in_this_process_shows_on_the_next_read() {
    let app = app_keeping_reads_for(LONG_TTL).await;
    let base = app.address.clone();
    let (payer, payee) = (customer(&app).await, customer(&app).await);
    warm(&app, &base, &payer).await;
    warm(&app, &base, &payee).await;

    deposit(&app, &base, &payer, 500).await;
    assert_eq!(balance(&app, &base, &payer).await, 500, "a deposit");
    let transfer = json!({"from_account_id": payer.account, "to_account_number": payee.number, "amount": 200});
    post(&app, &base, "/v1/transfers", &payer.token, &transfer).await;
    assert_eq!(balance(&app, &base, &payer).await, 300, "the payer of a transfer");
    assert_eq!(balance(&app, &base, &payee).await, 200, "its payee, whose own reads were kept");

    rename(&app, &base, &payer, "Ada Lovelace").await;
    assert_eq!(name(&app, &base, &payer).await, "Ada Lovelace", "a profile change");

    let opened = app.post_authed("/v1/accounts", &payer.token, &json!({"kind": "savings", "currency": "USD"})).await;
    assert_eq!(opened.status(), 201);
    let listed = get(&app, &base, "/v1/accounts", &payer.token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "an account opened");
}

#[actix_web::test]
async fn reads_racing_deposits_end_on_the_committed_balance() {
    let app = app_keeping_reads_for(LONG_TTL).await;
    let base = app.address.clone();
    let who = customer(&app).await;
    warm(&app, &base, &who).await;
    let deposits = (1..=40).map(|n| deposit(&app, &base, &who, n));
    let reads = (0..120).map(|_| account_balance(&app, &base, &who));
    let (_, seen) = futures::join!(futures::future::join_all(deposits), futures::future::join_all(reads));
    let total: i64 = (1..=40).sum();
    assert!(seen.iter().all(|b| (0..=total).contains(b)), "{seen:?}");
    assert_eq!(balance(&app, &base, &who).await, total, "after the last acknowledged deposit");
}

/// A second `tresor serve` on the test's database and data folder, keeping reads as long.
async fn second_server(app: &TestApp, millis: u64, redis: Option<&str>) -> (Running, String) {
    let mut env = vec![
        ("TRESOR__IDENTITY__SESSION_CACHE_MILLIS", millis.to_string()),
        ("TRESOR__RATE_LIMITS__TRANSFERS", "off".to_owned()),
        ("TRESOR__JOBS__EMBEDDED", "false".to_owned()),
    ];
    env.extend(redis.map(|url| ("REDIS_URL", url.to_owned())));
    server_process(app, &env).await
}

#[actix_web::test]
async fn with_redis_another_servers_change_shows_at_once() {
    let Some(redis) = redis_url() else {
        eprintln!("skipped: needs TEST_REDIS_URL");
        return;
    };
    let app = app_keeping_reads_for(LONG_TTL).await;
    let who = customer(&app).await;
    let (_second, other) = second_server(&app, LONG_TTL, Some(&redis)).await;
    warm(&app, &app.address, &who).await;
    warm(&app, &other, &who).await;

    deposit(&app, &other, &who, 700).await;
    assert_eq!(balance(&app, &app.address, &who).await, 700, "a deposit through the other server");
    rename(&app, &other, &who, "Grace Hopper").await;
    assert_eq!(name(&app, &app.address, &who).await, "Grace Hopper", "a profile change through the other server");
    deposit(&app, &app.address, &who, 50).await;
    assert_eq!(balance(&app, &other, &who).await, 750, "and the other way round");
}

#[actix_web::test]
async fn without_redis_another_servers_change_shows_within_the_cache_lifetime() {
    if redis_url().is_some() {
        eprintln!("skipped: runs without TEST_REDIS_URL");
        return;
    }
    const TTL: u64 = 400;
    let app = app_keeping_reads_for(TTL).await;
    let who = customer(&app).await;
    let (_second, other) = second_server(&app, TTL, None).await;
    warm(&app, &app.address, &who).await;

    deposit(&app, &other, &who, 700).await;
    rename(&app, &other, &who, "Grace Hopper").await;
    actix_web::rt::time::sleep(Duration::from_millis(TTL + 100)).await;
    assert_eq!(balance(&app, &app.address, &who).await, 700, "a deposit through the other server");
    assert_eq!(name(&app, &app.address, &who).await, "Grace Hopper", "a profile change through the other server");
}
