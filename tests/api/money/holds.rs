//! Holds: an authorization reserves money (available drops, balance stays), a capture posts a
//! `card` transaction and releases the rest, a release or the expiry job ends a hold, every
//! debit is decided against the available balance, and staff see and respect open holds.

use serde_json::{Value, json};
use tresor::identity::Role;

use crate::support::money::{balances, with_network};
use crate::support::spawn_app_with;

#[actix_web::test]
async fn an_authorization_holds_and_a_partial_capture_posts_and_releases_the_rest() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(10_000, Value::Null).await;
    let approved = app.authorize(&holder, 3_000).await;
    assert_eq!(approved["status"], "approved", "{approved}");
    let id = approved["id"].as_str().unwrap();
    assert_eq!(balances(&app.account_of(&holder).await), (10_000, 7_000));
    let holds = app.holds_of(&holder).await;
    assert_eq!(holds.len(), 1);
    assert_eq!((holds[0]["id"].as_str(), holds[0]["status"].as_str()), (Some(id), Some("open")));
    assert_eq!((holds[0]["amount"].as_i64(), holds[0]["captured"].as_i64()), (Some(3_000), Some(0)));

    // A withdrawal is decided against what is available, not the balance.
    let withdraw = |amount: i64| {
        app.client
            .post(app.url(&format!("/v1/accounts/{}/withdrawals", holder.account)))
            .bearer_auth(&holder.token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"amount": amount}))
            .send()
    };
    let refused = withdraw(7_001).await.unwrap();
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["type"], "/problems/insufficient-funds");

    let capture = format!("/v1/card-network/authorizations/{id}/capture");
    let (status, body) = app.network(&capture, Some("cap-1"), &json!({"amount": 3_001})).await;
    assert_eq!((status, body["type"].as_str()), (422, Some("/problems/amount-exceeds-hold")));
    let (status, posted) = app.network(&capture, Some("cap-2"), &json!({"amount": 2_500})).await;
    assert_eq!(status, 201, "{posted}");
    assert_eq!((posted["kind"].as_str(), posted["amount"].as_i64()), (Some("card"), Some(2_500)));
    assert_eq!(posted["balance_after"].as_i64(), Some(7_500));
    assert_eq!(balances(&app.account_of(&holder).await), (7_500, 7_500), "the rest is released");
    let (again, replay) = app.network(&capture, Some("cap-2"), &json!({"amount": 2_500})).await;
    assert_eq!((again, &replay), (201, &posted), "a replayed capture answers the first result");
    let (status, body) = app.network(&capture, Some("cap-3"), &json!({"amount": 100})).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("/problems/hold-not-open")));

    let holds = app.holds_of(&holder).await;
    assert_eq!((holds[0]["status"].as_str(), holds[0]["captured"].as_i64()), (Some("captured"), Some(2_500)));
    let history = app.get_authed(&format!("/v1/accounts/{}/transactions", holder.account), &holder.token).await;
    let history: Value = history.json().await.unwrap();
    assert_eq!(history["items"][0]["kind"], "card");
    assert!(withdraw(7_500).await.unwrap().status() == 201, "what is available can be spent");
    crate::support::ledger::assert_books_balance(&app).await;
}

#[actix_web::test]
async fn a_release_and_the_expiry_job_end_holds_without_posting() {
    let app =
        spawn_app_with(|f| with_network(f).merge(figment::providers::Serialized::default("holds.expiry_days", 0)))
            .await;
    let holder = app.cardholder(5_000, Value::Null).await;
    let first = app.authorize(&holder, 1_000).await;
    let second = app.authorize(&holder, 2_000).await;
    assert_eq!(balances(&app.account_of(&holder).await), (5_000, 2_000));

    let release = format!("/v1/card-network/authorizations/{}/release", first["id"].as_str().unwrap());
    let (status, body) = app.network(&release, None, &json!({})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("released")), "{body}");
    let (status, body) = app.network(&release, None, &json!({})).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("/problems/hold-not-open")));
    assert_eq!(balances(&app.account_of(&holder).await), (5_000, 3_000));

    // With expiry_days = 0 the second is due at once.
    let expired = app.state.ledger.expire_holds(chrono::Utc::now()).await.unwrap();
    assert_eq!(expired, 1);
    assert_eq!(app.state.ledger.expire_holds(chrono::Utc::now()).await.unwrap(), 0, "idempotent");
    assert_eq!(balances(&app.account_of(&holder).await), (5_000, 5_000));
    let statuses: Vec<String> =
        app.holds_of(&holder).await.iter().map(|h| h["status"].as_str().unwrap().to_owned()).collect();
    assert!(statuses.contains(&"released".to_owned()) && statuses.contains(&"expired".to_owned()), "{statuses:?}");
    let capture = format!("/v1/card-network/authorizations/{}/capture", second["id"].as_str().unwrap());
    let (status, _) = app.network(&capture, Some("late"), &json!({"amount": 10})).await;
    assert_eq!(status, 409, "an expired hold cannot be captured");
    let history = app.get_authed(&format!("/v1/accounts/{}/transactions", holder.account), &holder.token).await;
    let history: Value = history.json().await.unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "only the deposit posted");
    let report = tresor::ledger::verify::verify(&app.state.db).await.unwrap();
    assert!(report.ok, "{report:?}");
}

#[actix_web::test]
async fn staff_see_open_holds_and_cannot_close_an_account_that_has_them() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(4_000, Value::Null).await;
    let held = app.authorize(&holder, 1_500).await;
    let staff = app.staff_with_mfa(&[Role::Admin]).await;
    let (status, detail) = app.staff_get(&format!("/v1/admin/accounts/{}", holder.account), &staff.token).await;
    assert_eq!(status, 200);
    assert_eq!((detail["balance"].as_i64(), detail["available_balance"].as_i64()), (Some(4_000), Some(2_500)));
    assert_eq!(detail["open_holds"][0]["id"], held["id"]);

    let owner = tresor::ledger::service::Caller {
        user_id: uuid::Uuid::parse_str(&holder.user_id).unwrap(),
        session_id: uuid::Uuid::now_v7(),
        actor: tresor::audit::Actor::system(),
    };
    let savings = tresor::ledger::account::AccountKind::Savings;
    let other = app.state.ledger.open(&owner, savings, "USD".parse().unwrap()).await.unwrap();
    let close = format!("/v1/admin/accounts/{}/close", holder.account);
    let body = json!({"reason": "customer left", "transfer_to_account_number": other.number.as_str()});
    let (status, refused) = app.staff_post(&close, &staff.token, body.clone()).await;
    assert_eq!((status, refused["type"].as_str()), (409, Some("/problems/holds-open")), "{refused}");

    let release = format!("/v1/card-network/authorizations/{}/release", held["id"].as_str().unwrap());
    assert_eq!(app.network(&release, None, &json!({})).await.0, 200);
    let (status, closed) = app.staff_post(&close, &staff.token, body).await;
    assert_eq!((status, closed["status"].as_str()), (200, Some("closed")), "{closed}");
    // A card on a closed account is declined.
    let declined = app.authorize(&holder, 10).await;
    assert_eq!(
        (declined["status"].as_str(), declined["decline_reason"].as_str()),
        (Some("declined"), Some("card-closed"))
    );
}

#[actix_web::test]
async fn refunds_credit_the_card_account_up_to_what_was_captured() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(10_000, Value::Null).await;
    let open = app.authorize(&holder, 3_000).await;
    let id = open["id"].as_str().unwrap();
    let refund = |key: &'static str, authorization: &str, amount: i64| {
        let body = json!({"authorization_id": authorization, "amount": amount});
        let app = &app;
        async move { app.network("/v1/card-network/refunds", Some(key), &body).await }
    };
    let (status, body) = refund("r-0", id, 10).await;
    assert_eq!((status, body["type"].as_str()), (422, Some("/problems/refund-exceeds-capture")), "not captured yet");
    let capture = format!("/v1/card-network/authorizations/{id}/capture");
    assert_eq!(app.network(&capture, Some("c"), &json!({"amount": 2_500})).await.0, 201);

    let (status, credit) = refund("r-1", id, 1_000).await;
    assert_eq!(status, 201, "{credit}");
    assert_eq!((credit["kind"].as_str(), credit["direction"].as_str()), (Some("card"), Some("credit")));
    assert_eq!(credit["balance_after"].as_i64(), Some(8_500));
    assert_eq!(refund("r-1", id, 1_000).await, (201, credit), "a replay answers the first result");
    let (status, body) = refund("r-2", id, 1_501).await;
    assert_eq!((status, body["type"].as_str()), (422, Some("/problems/refund-exceeds-capture")));
    assert_eq!(refund("r-3", id, 1_500).await.0, 201);
    assert_eq!(refund("r-4", id, 1).await.0, 422, "everything captured is refunded");
    assert_eq!(refund("r-5", &uuid::Uuid::now_v7().to_string(), 1).await.0, 404);
    assert_eq!(balances(&app.account_of(&holder).await), (10_000, 10_000));
    crate::support::ledger::assert_books_balance(&app).await;
}
