//! Webhooks to a real receiver: signed deliveries an independent verifier accepts, retries
//! with the same `webhook-id`, rotation's two signatures, the SSRF guard, and the management
//! endpoints' refusals.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use tresor::identity::Role;

use super::receiver::{Receiver, verifies};
use super::{admin_token, endpoint, events_app};
use crate::support::backoffice::slug;
use crate::support::jobs::eventually;
use crate::support::spawn_app;

#[actix_web::test]
async fn a_transfer_is_delivered_once_per_subscribed_endpoint_with_a_valid_signature() {
    let (app, outflow) = events_app().await;
    let token = admin_token(&app).await;
    let (first, second, other) = (Receiver::start(&[]), Receiver::start(&[]), Receiver::start(&[]));
    let (_, first_secret) = endpoint(&app, &token, &first.url, &["transaction.posted"]).await;
    let (_, second_secret) = endpoint(&app, &token, &second.url, &["*"]).await;
    endpoint(&app, &token, &other.url, &["kyc.approved"]).await;
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    let entry = app.transferred(&alice, &a, &b, 700).await;

    // Two deposits (none for Bob's empty account) … the transfer posts to both accounts.
    let posted = |received: &[super::receiver::Received]| {
        received
            .iter()
            .filter(|r| {
                r.json()["type"] == "transaction.posted" && r.json()["data"]["transaction_id"] == entry.to_string()
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    first.wait_for(2, Duration::from_secs(10)).await;
    crate::support::jobs::eventually(Duration::from_secs(10), "both sides at the first receiver", async || {
        posted(&first.received()).len() >= 2
    })
    .await;
    crate::support::jobs::eventually(Duration::from_secs(10), "both sides at the second receiver", async || {
        posted(&second.received()).len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (receiver, secret) in [(&first, &first_secret), (&second, &second_secret)] {
        let all = receiver.received();
        let mut per_id: HashMap<&str, usize> = HashMap::new();
        for received in &all {
            *per_id.entry(received.id.as_str()).or_default() += 1;
            assert!(verifies(secret, received), "signature refused: {received:?}");
            assert!(!verifies(if secret == &first_secret { &second_secret } else { &first_secret }, received));
            assert_eq!(received.json()["id"].as_str(), Some(received.id.as_str()));
            let at: i64 = received.timestamp.parse().unwrap();
            assert!((chrono::Utc::now().timestamp() - at).abs() < 60);
        }
        assert!(per_id.values().all(|n| *n == 1), "each event once: {per_id:?}");
        let sides = posted(&all);
        assert_eq!(sides.len(), 2, "one delivery per account side");
        let accounts: Vec<_> = sides.iter().map(|r| r.json()["data"]["account_id"].clone()).collect();
        assert!(accounts.contains(&json!(a.id)) && accounts.contains(&json!(b.id)));
    }
    assert!(first.received().iter().all(|r| r.json()["type"] == "transaction.posted"));
    assert!(other.received().is_empty(), "an endpoint not subscribed to transaction.posted got it");
    outflow.stop().await;
}

#[actix_web::test]
async fn an_endpoint_failing_three_times_gets_the_event_on_the_fourth_attempt_with_the_same_id() {
    let (app, outflow) = events_app().await;
    let token = admin_token(&app).await;
    let receiver = Receiver::start(&[500, 500, 500]);
    let (id, secret) = endpoint(&app, &token, &receiver.url, &["account.opened"]).await;
    let owner = crate::support::ledger::caller();
    crate::support::ledger::open(&app, &owner, "USD").await;

    let received = receiver.wait_for(4, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 4);
    assert!(received.iter().all(|r| r.id == received[0].id), "one webhook-id across attempts");
    assert!(received.iter().all(|r| verifies(&secret, r)));
    // The receiver has answered; the worker records the answer right after.
    let deliveries = format!("/v1/admin/webhooks/{id}/deliveries");
    let mut page = serde_json::Value::Null;
    eventually(Duration::from_secs(10), "the fourth attempt recorded as delivered", async || {
        let (status, body) = app.staff_get(&deliveries, &token).await;
        assert_eq!(status, 200, "{body}");
        page = body;
        page["items"][0]["status"] == "delivered"
    })
    .await;
    let delivery = &page["items"][0];
    assert_eq!(delivery["event_id"].as_str(), Some(received[0].id.as_str()));
    assert_eq!((delivery["attempt"].as_i64(), delivery["status"].as_str()), (Some(4), Some("delivered")));
    assert_eq!(delivery["status_code"], 200);
    assert!(delivery["delivered_at"].is_string());

    // Redelivery sends it once more, same id; an unknown event is 404.
    let event = received[0].id.clone();
    let (status, _) =
        app.staff_post(&format!("/v1/admin/webhooks/{id}/deliveries/{event}/redeliver"), &token, json!(null)).await;
    assert_eq!(status, 202);
    let again = receiver.wait_for(5, Duration::from_secs(10)).await;
    assert_eq!(again[4].id, event);
    let unknown = uuid::Uuid::now_v7();
    let (status, body) =
        app.staff_post(&format!("/v1/admin/webhooks/{id}/deliveries/{unknown}/redeliver"), &token, json!(null)).await;
    assert_eq!((status, slug(&body)), (404, "not-found"));
    outflow.stop().await;
}

#[actix_web::test]
async fn after_a_rotation_deliveries_carry_both_signatures() {
    let (app, outflow) = events_app().await;
    let token = admin_token(&app).await;
    let receiver = Receiver::start(&[]);
    let (id, old) = endpoint(&app, &token, &receiver.url, &["account.opened"]).await;
    let (status, rotated) =
        app.staff_post(&format!("/v1/admin/webhooks/{id}/rotate-secret"), &token, json!(null)).await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(rotated["previous_secret_until"].is_string());
    let owner = crate::support::ledger::caller();
    crate::support::ledger::open(&app, &owner, "USD").await;
    let received = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received[0].signature.split(' ').count(), 2, "{}", received[0].signature);
    assert!(verifies(&old, &received[0]) && verifies(&new, &received[0]));
    // The secret is never shown again, and is sealed at rest.
    let (_, shown) = app.staff_get(&format!("/v1/admin/webhooks/{id}"), &token).await;
    assert!(shown.get("secret").is_none(), "{shown}");
    let stored: String = sqlx::query_scalar("SELECT secret FROM webhook_endpoints WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert!(!stored.contains(new.trim_start_matches("whsec_")));

    // `tresor keys rotate` re-seals both secrets under the new key; they still sign.
    for args in [["keys", "generate", "--ring", "encryption"], ["keys", "rotate", "--ring", "encryption"]] {
        let out = app.cli(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        if args[1] == "rotate" {
            assert!(String::from_utf8_lossy(&out.stdout).contains("and 2 webhook secrets"));
        }
    }
    app.state.reload_keys().unwrap();
    crate::support::ledger::open(&app, &owner, "EUR").await;
    let received = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert!(verifies(&old, &received[1]) && verifies(&new, &received[1]));
    outflow.stop().await;
}

#[actix_web::test]
async fn private_targets_are_refused_unless_allowed_and_bad_input_is_named() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://10.0.0.8/x",
    ] {
        let (status, body) = app.staff_post("/v1/admin/webhooks", &token, json!({"url": url, "events": ["*"]})).await;
        assert_eq!((status, slug(&body)), (422, "webhook-target-refused"), "{url}: {body}");
    }
    for (body, field) in [
        (json!({"url": "ftp://example.com", "events": ["*"]}), "url"),
        (json!({"url": "https://example.com", "events": []}), "events"),
        (json!({"url": "https://example.com", "events": ["transaction.lost"]}), "events"),
    ] {
        let (status, refused) = app.staff_post("/v1/admin/webhooks", &token, body).await;
        assert_eq!(status, 400, "{refused}");
        assert!(refused["errors"][field].is_array(), "{refused}");
    }
    let (status, _) = app
        .staff_post("/v1/admin/webhooks", &token, json!({"url": "https://example.com", "events": ["*"], "x": 1}))
        .await;
    assert_eq!(status, 400);
    let customer = app.signed_in().await;
    let (status, _) = app
        .staff_post("/v1/admin/webhooks", &customer.access, json!({"url": "https://example.com", "events": ["*"]}))
        .await;
    assert_eq!(status, 403);
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let (status, _) = app.staff_get("/v1/admin/webhooks", &support.token).await;
    assert_eq!(status, 403, "support does not manage webhooks");
    let missing = uuid::Uuid::now_v7();
    let (status, _) = app.staff_get(&format!("/v1/admin/webhooks/{missing}"), &token).await;
    assert_eq!(status, 404);

    let allowed = crate::support::spawn_app_with(|f| {
        f.merge(figment::providers::Serialized::default("webhooks.allow_private_targets", true))
    })
    .await;
    let token = admin_token(&allowed).await;
    let (id, _) = endpoint(&allowed, &token, "http://127.0.0.1:9/hook", &["*"]).await;
    let (status, changed) = allowed
        .staff(reqwest::Method::PATCH, &format!("/v1/admin/webhooks/{id}"), &token, Some(json!({"enabled": false})))
        .await;
    assert_eq!((status, changed["enabled"].as_bool()), (200, Some(false)), "{changed}");
    let (status, list) = allowed.staff_get("/v1/admin/webhooks", &token).await;
    assert_eq!((status, list["items"].as_array().unwrap().len()), (200, 1));
    let (status, _) = allowed.staff(reqwest::Method::DELETE, &format!("/v1/admin/webhooks/{id}"), &token, None).await;
    assert_eq!(status, 204);
    let (status, _) = allowed.staff_get(&format!("/v1/admin/webhooks/{id}"), &token).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_delivery_past_its_retry_window_is_dead_and_an_endpoint_failing_too_long_is_disabled_with_staff_told() {
    let (app, outflow) = super::with_outflow(
        crate::support::spawn_app_with(|f| {
            super::quick(f)
                .merge(figment::providers::Serialized::default("webhooks.retry_for_secs", 0))
                .merge(figment::providers::Serialized::default("webhooks.disable_after_secs", 0))
        })
        .await,
    );
    let token = admin_token(&app).await;
    let receiver = Receiver::start(&[503]);
    let (id, secret) = endpoint(&app, &token, &receiver.url, &["account.opened"]).await;
    let owner = crate::support::ledger::caller();
    crate::support::ledger::open(&app, &owner, "USD").await;
    receiver.wait_for(1, Duration::from_secs(10)).await;

    let mut page = json!(null);
    crate::support::jobs::eventually(Duration::from_secs(10), "the delivery dead", async || {
        page = app.staff_get(&format!("/v1/admin/webhooks/{id}/deliveries"), &token).await.1;
        page["items"][0]["status"] == "dead"
    })
    .await;
    let delivery = &page["items"][0];
    assert_eq!((delivery["attempt"].as_i64(), delivery["status_code"].as_i64()), (Some(1), Some(503)));
    assert!(delivery["error"].as_str().unwrap().contains("503"), "{delivery}");
    assert!(delivery["next_attempt_at"].is_null());
    let (_, endpoint) = app.staff_get(&format!("/v1/admin/webhooks/{id}"), &token).await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert!(endpoint["disabled_reason"].is_string());
    let (_, notes) = app.staff_get("/v1/admin/notifications", &token).await;
    let told =
        notes["items"].as_array().unwrap().iter().any(|n| n["kind"] == "webhook_disabled" && n["subject_id"] == id);
    assert!(told, "{notes}");
    let excerpt: Option<String> =
        sqlx::query_scalar("SELECT response_excerpt FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(&id)
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(excerpt.as_deref(), Some("ok"));

    // Enabled again and redelivered: it arrives, with the same id.
    let (status, _) = app
        .staff(reqwest::Method::PATCH, &format!("/v1/admin/webhooks/{id}"), &token, Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, 200);
    let event = delivery["event_id"].as_str().unwrap();
    let (status, _) =
        app.staff_post(&format!("/v1/admin/webhooks/{id}/deliveries/{event}/redeliver"), &token, json!(null)).await;
    assert_eq!(status, 202);
    let received = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(received[1].id, event);
    assert!(verifies(&secret, &received[1]));
    outflow.stop().await;
}
