//! Cards: issuing (PAN with the BIN and a Luhn digit, shown once), freezing, unfreezing,
//! closing, limits; and the card network's authorizations — declines answered 201 with their
//! reason, replays answered with the first result, the network's key required.

use serde_json::{Value, json};

use crate::support::money::{NETWORK_KEY, with_network};
use crate::support::{spawn_app, spawn_app_with};

fn luhn_ok(pan: &str) -> bool {
    let sum: u32 = pan
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[actix_web::test]
async fn a_card_shows_its_number_once_and_only_its_last_four_digits_after() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(0, json!({"per_transaction": 500, "daily": 800})).await;
    let pan = holder.card["pan"].as_str().unwrap();
    assert!(pan.starts_with("400000") && pan.len() == 16 && luhn_ok(pan), "{pan}");
    assert_eq!(holder.card["cvv"].as_str().unwrap().len(), 3);
    assert_eq!(holder.card["last4"].as_str().unwrap(), &pan[12..]);
    assert_eq!(holder.card["status"], "active");
    let email: (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(&holder.user_id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    let mails = app.mail_to(&email.0, "card_issued").await;
    assert_eq!(mails.len(), 1, "the owner is told a card was issued");
    let mail = serde_json::to_string(&mails[0].data).unwrap();
    assert!(mail.contains(holder.card["last4"].as_str().unwrap()) && !mail.contains(pan), "{mail}");

    let path = format!("/v1/cards/{}", holder.card_id());
    for response in [app.get_authed(&path, &holder.token).await, app.get_authed("/v1/cards", &holder.token).await] {
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains(pan) && !text.contains("\"cvv\"") && !text.contains("\"pan\""), "{text}");
        assert!(text.contains("\"per_transaction\":500"), "{text}");
    }
    let stranger = app.cardholder(0, Value::Null).await;
    assert_eq!(app.get_authed(&path, &stranger.token).await.status(), 404, "another user's card is not found");
    let freeze = app.post_authed(&format!("{path}/freeze"), &stranger.token, &json!({})).await;
    assert_eq!(freeze.status(), 404);
    let bad = app
        .post_authed(
            "/v1/cards",
            &holder.token,
            &json!({"account_id": holder.account, "spending_limit": {"daily": -1}}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let not_mine = app.post_authed("/v1/cards", &holder.token, &json!({"account_id": stranger.account})).await;
    assert_eq!(not_mine.status(), 404);
}

#[actix_web::test]
async fn declines_are_201_with_their_reason_and_leave_the_balance_alone() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(800, json!({"per_transaction": 600, "daily": 900})).await;
    let decline = |body: Value| {
        let app = &app;
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            let (status, answer) = app.network("/v1/card-network/authorizations", Some(&key), &body).await;
            assert_eq!(status, 201, "{answer}");
            assert_eq!(answer["status"], "declined", "{answer}");
            answer["decline_reason"].as_str().unwrap().to_owned()
        }
    };
    let mut wrong_cvv = holder.purchase(10);
    let cvv = holder.card["cvv"].as_str().unwrap();
    wrong_cvv["cvv"] = json!(format!("{:03}", (cvv.parse::<u32>().unwrap() + 1) % 1000));
    assert_eq!(decline(wrong_cvv).await, "invalid-card");
    let mut wrong_expiry = holder.purchase(10);
    wrong_expiry["expiry_year"] = json!(holder.card["expiry_year"].as_i64().unwrap() + 1);
    assert_eq!(decline(wrong_expiry).await, "invalid-card");
    let mut unknown = holder.purchase(10);
    unknown["pan"] = json!("4111111111111111");
    assert_eq!(decline(unknown).await, "invalid-card");
    let mut currency = holder.purchase(10);
    currency["currency"] = json!("EUR");
    assert_eq!(decline(currency).await, "currency-mismatch");
    assert_eq!(decline(holder.purchase(601)).await, "limit-exceeded");
    assert_eq!(app.authorize(&holder, 600).await["status"], "approved");
    assert_eq!(decline(holder.purchase(301)).await, "limit-exceeded", "the daily limit counts open holds");
    assert_eq!(decline(holder.purchase(250)).await, "insufficient-funds", "250 > 800 - 600 held");

    let card = format!("/v1/cards/{}", holder.card_id());
    let frozen = app.post_authed(&format!("{card}/freeze"), &holder.token, &json!({})).await;
    assert_eq!(frozen.status(), 200);
    assert_eq!(decline(holder.purchase(10)).await, "card-frozen");
    let thawed = app.post_authed(&format!("{card}/unfreeze"), &holder.token, &json!({})).await;
    assert_eq!(thawed.status(), 200);
    assert_eq!(app.authorize(&holder, 10).await["status"], "approved");
    let closed = app.client.delete(app.url(&card)).bearer_auth(&holder.token).send().await.unwrap();
    assert_eq!(closed.status(), 204);
    assert_eq!(decline(holder.purchase(10)).await, "card-closed");
    let refreeze = app.post_authed(&format!("{card}/unfreeze"), &holder.token, &json!({})).await;
    assert_eq!(refreeze.status(), 409, "a closed card stays closed");

    let account = app.account_of(&holder).await;
    assert_eq!((account["balance"].as_i64(), account["available_balance"].as_i64()), (Some(800), Some(190)));
}

#[actix_web::test]
async fn an_authorization_replayed_with_its_key_answers_the_first_result() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(1_000, Value::Null).await;
    let path = "/v1/card-network/authorizations";
    let (first, approved) = app.network(path, Some("auth-1"), &holder.purchase(700)).await;
    assert_eq!((first, approved["status"].as_str()), (201, Some("approved")));
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(NETWORK_KEY)
        .header("Idempotency-Key", "auth-1")
        .json(&holder.purchase(700))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    assert_eq!(response.json::<Value>().await.unwrap(), approved);
    assert_eq!(app.holds_of(&holder).await.len(), 1, "one effect");
    let (status, reused) = app.network(path, Some("auth-1"), &holder.purchase(5)).await;
    assert_eq!((status, reused["type"].as_str()), (422, Some("/problems/idempotency-key-reused")));

    // A decline is kept too: the same key still answers it after funds arrive.
    let (_, declined) = app.network(path, Some("auth-2"), &holder.purchase(400)).await;
    assert_eq!(declined["decline_reason"], "insufficient-funds");
    let (_, again) = app.network(path, Some("auth-2"), &holder.purchase(400)).await;
    assert_eq!(again, declined);

    // Concurrent duplicates: one hold.
    let body = holder.purchase(100);
    let (a, b) = tokio::join!(app.network(path, Some("auth-3"), &body), app.network(path, Some("auth-3"), &body));
    assert_eq!(a.1["id"], b.1["id"]);
    assert_eq!(app.holds_of(&holder).await.len(), 2);
}

#[actix_web::test]
async fn the_network_endpoints_need_the_key_and_are_absent_without_one() {
    let off = spawn_app().await;
    let response = off.post_json("/v1/card-network/authorizations", &json!({})).await;
    assert_eq!(response.status(), 404);

    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(100, Value::Null).await;
    let wrong = app
        .client
        .post(app.url("/v1/card-network/authorizations"))
        .bearer_auth("not-the-key")
        .header("Idempotency-Key", "k")
        .json(&holder.purchase(1))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let customer = app.client.post(app.url("/v1/card-network/authorizations")).bearer_auth(&holder.token);
    let customer = customer.header("Idempotency-Key", "k").json(&holder.purchase(1)).send().await.unwrap();
    assert_eq!(customer.status(), 401, "a customer's token is not the network's key");
    let (status, _) = app.network("/v1/card-network/authorizations", None, &holder.purchase(1)).await;
    assert_eq!(status, 400, "no Idempotency-Key");
    let mut bad = holder.purchase(1);
    bad["merchant"]["mcc"] = json!("54x1");
    assert_eq!(app.network("/v1/card-network/authorizations", Some("b"), &bad).await.0, 400);
    bad = holder.purchase(0);
    assert_eq!(app.network("/v1/card-network/authorizations", Some("c"), &bad).await.0, 400);
    let missing = format!("/v1/card-network/authorizations/{}/release", uuid::Uuid::now_v7());
    assert_eq!(app.network(&missing, None, &json!({})).await.0, 404);
}
