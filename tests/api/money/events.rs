//! `hold.*` and `card.*` events: written with the change, ids, amounts and statuses only —
//! never the card's number, its code or its last four digits, nor the owner's name or email.
//! And the large-authorization email.

use serde_json::{Value, json};

use crate::support::money::{outbox, with_network};
use crate::support::spawn_app_with;

#[actix_web::test]
async fn holds_and_cards_publish_events_with_no_card_secrets_or_personal_data() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(10_000, Value::Null).await;
    let captured = app.authorize(&holder, 3_000).await;
    let captured_id = captured["id"].as_str().unwrap().to_owned();
    let capture = format!("/v1/card-network/authorizations/{captured_id}/capture");
    let (status, posted) = app.network(&capture, Some("cap-1"), &json!({"amount": 2_000})).await;
    assert_eq!(status, 201, "{posted}");
    let released = app.authorize(&holder, 1_000).await;
    let released_id = released["id"].as_str().unwrap().to_owned();
    let (status, _) =
        app.network(&format!("/v1/card-network/authorizations/{released_id}/release"), None, &json!({})).await;
    assert_eq!(status, 200);
    let freeze = app.post_authed(&format!("/v1/cards/{}/freeze", holder.card_id()), &holder.token, &json!({})).await;
    assert_eq!(freeze.status(), 200);

    let events = outbox(&app).await;
    let of = |kind: &str, hold: &str| {
        events.iter().find(|(k, d)| k == kind && d["hold_id"] == hold).map(|(_, d)| d.clone()).unwrap_or_else(|| {
            panic!("no {kind} for {hold} in {events:?}");
        })
    };
    let created = of("hold.created", &captured_id);
    assert_eq!((created["amount"].as_i64(), created["status"].as_str()), (Some(3_000), Some("open")));
    assert_eq!(created["card_id"], holder.card["id"]);
    assert_eq!(created["account_id"].as_str(), Some(holder.account.as_str()));
    let done = of("hold.captured", &captured_id);
    assert_eq!((done["amount"].as_i64(), done["captured"].as_i64()), (Some(3_000), Some(2_000)));
    assert_eq!(done["transaction_id"], posted["id"]);
    let ended = of("hold.released", &released_id);
    assert_eq!((ended["status"].as_str(), ended["amount"].as_i64()), (Some("released"), Some(1_000)));
    for kind in ["card.created", "card.frozen"] {
        let card = events.iter().find(|(k, d)| k == kind && d["card_id"] == holder.card["id"]);
        assert!(card.is_some(), "{kind} missing from {events:?}");
    }
    let owned: Vec<Option<String>> =
        sqlx::query_scalar("SELECT owner_user_id FROM events WHERE type LIKE 'hold.%' OR type LIKE 'card.%'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap();
    assert!(owned.iter().all(|owner| owner.as_deref() == Some(holder.user_id.as_str())), "{owned:?}");

    // Nothing of the card's secrets, nor of the owner, in any event.
    let everything: String = events.iter().map(|(kind, data)| format!("{kind} {data}\n")).collect();
    let pan = holder.card["pan"].as_str().unwrap();
    let cvv = format!("\"{}\"", holder.card["cvv"].as_str().unwrap());
    let last4 = format!("\"{}\"", &pan[pan.len() - 4..]);
    for secret in [pan, cvv.as_str(), last4.as_str(), holder.email.as_str(), holder.token.as_str()] {
        assert!(!everything.contains(secret), "{secret} leaked into an event");
    }
    assert!(!everything.contains('@'), "an email address in an event: {everything}");
}

#[actix_web::test]
async fn an_authorization_above_the_threshold_emails_the_owner_once() {
    let app = spawn_app_with(|f| {
        with_network(f).merge(figment::providers::Serialized::default("cards.large_authorization_above", 5_000))
    })
    .await;
    let holder = app.cardholder(20_000, Value::Null).await;
    assert_eq!(app.authorize(&holder, 5_000).await["status"], "approved");
    assert!(app.mail_to(&holder.email, "large_authorization").await.is_empty(), "at the threshold: no email");
    let (status, first) = app.network("/v1/card-network/authorizations", Some("big-1"), &holder.purchase(7_500)).await;
    assert_eq!((status, first["status"].as_str()), (201, Some("approved")));
    let (_, again) = app.network("/v1/card-network/authorizations", Some("big-1"), &holder.purchase(7_500)).await;
    assert_eq!(again, first);
    let mails = app.mail_to(&holder.email, "large_authorization").await;
    assert_eq!(mails.len(), 1, "one email, not one per replay");
    assert_eq!(mails[0].data["amount"], "75.00 USD");
    assert_eq!(mails[0].data["merchant"], "Corner Shop");
    assert_eq!(mails[0].data["last4"].as_str().map(str::len), Some(4));
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE template = 'large_authorization'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(queued, 1);
}
