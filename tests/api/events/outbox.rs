//! The outbox: each change writes its event in its own transaction, ids and amounts only.

use serde_json::json;
use uuid::Uuid;

use super::outbox;
use crate::support::ledger::{approved, money};

#[actix_web::test]
async fn a_transfer_writes_one_event_per_account_in_its_transaction_with_no_personal_data() {
    let app = crate::support::spawn_app_with(super::quick).await;
    // Registration, email verification, account opening, deposits and a transfer, over HTTP.
    let alice = approved(&app).await;
    let bob = approved(&app).await;
    let open = |token: String| {
        let app = &app;
        async move {
            let response =
                app.post_authed("/v1/accounts", &token, &json!({"kind": "checking", "currency": "USD"})).await;
            assert_eq!(response.status(), 201);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let a = open(alice.access.clone()).await;
    let b = open(bob.access.clone()).await;
    let a_id: Uuid = a["id"].as_str().unwrap().parse().unwrap();
    let caller = tresor::ledger::service::Caller {
        user_id: alice.user.id.parse().unwrap(),
        session_id: Uuid::now_v7(),
        actor: tresor::audit::Actor::system(),
    };
    assert_eq!(app.state.ledger.deposit(&caller, a_id, money(5_000), None).await.unwrap().status, 201);
    let sent =
        app.state.ledger.transfer(&caller, a_id, b["number"].as_str().unwrap(), money(1_200), None).await.unwrap();
    assert_eq!(sent.status, 201, "{}", sent.body);
    let entry = crate::support::backoffice::entry_id(&sent.body);

    let events = outbox(&app).await;
    let posted: Vec<_> = events
        .iter()
        .filter(|(kind, data)| kind == "transaction.posted" && data["transaction_id"] == entry.to_string())
        .map(|(_, data)| data)
        .collect();
    assert_eq!(posted.len(), 2, "one per account: {posted:?}");
    let out = posted.iter().find(|d| d["account_id"] == a["id"]).unwrap();
    let incoming = posted.iter().find(|d| d["account_id"] == b["id"]).unwrap();
    assert_eq!((out["kind"].as_str(), out["amount"].as_i64()), (Some("transfer_out"), Some(-1_200)));
    assert_eq!((incoming["kind"].as_str(), incoming["amount"].as_i64()), (Some("transfer_in"), Some(1_200)));
    assert_eq!(out["balance_after"], 3_800);
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    for expected in ["user.registered", "user.email_verified", "account.opened", "transaction.posted"] {
        assert!(kinds.contains(&expected), "{expected} missing from {kinds:?}");
    }
    // Owners: the sender's event is Alice's, the recipient's Bob's.
    let owners: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT aggregate_id, owner_user_id FROM events WHERE type = 'transaction.posted'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap();
    assert!(owners.contains(&(b["id"].as_str().unwrap().to_owned(), Some(bob.user.id.clone()))));

    // Nothing personal or secret anywhere in the outbox.
    let everything: String = events.iter().map(|(kind, data)| format!("{kind} {data}\n")).collect();
    let secrets = [alice.user.email.as_str(), bob.user.email.as_str(), &alice.access, &alice.refresh, "Ada Lovelace"];
    for secret in secrets {
        assert!(!everything.contains(secret), "{secret} leaked into an event");
    }
    assert!(!everything.contains('@'), "an email address in an event: {everything}");
}

#[actix_web::test]
async fn with_the_outbox_off_a_transfer_writes_no_event() {
    let app = crate::support::spawn_app_with(|f| {
        super::quick(f).merge(figment::providers::Serialized::default("events.outbox", false))
    })
    .await;
    let owner = crate::support::ledger::caller();
    let account = crate::support::ledger::open(&app, &owner, "USD").await;
    crate::support::ledger::deposit(&app, &owner, &account, 100).await;
    let events = outbox(&app).await;
    assert!(events.iter().all(|(kind, _)| kind != "transaction.posted"), "{events:?}");
}

#[actix_web::test]
async fn a_transfer_recipients_mail_is_sent_right_after_the_commit_not_at_the_next_sweep() {
    use std::time::{Duration, Instant};
    let app = crate::support::spawn_app_with(|f| {
        super::quick(f).merge(figment::providers::Serialized::default("jobs.poll_interval_ms", 50))
    })
    .await;
    let registry = tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap();
    // The mail queue only, without the schedules: no sweep can be what sends it.
    let workers = crate::support::jobs::start_queue_workers(&app.state.jobs, registry, false, &["send_email"]);
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 1_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    let started = Instant::now();
    app.transferred(&alice, &a, &b, 100).await;
    crate::support::jobs::eventually(Duration::from_secs(10), "the transfer mail sent", async || {
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_outbox WHERE template = 'transfer_received' AND sent_at IS NOT NULL",
        )
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
        sent == 1
    })
    .await;
    eprintln!("transfer mail sent {:?} after the transfer", started.elapsed());
    workers.stop().await;
}

/// Transfers committed together send their recipients' mails as one job (or a few): through the
/// real queue and workers, every recipient gets exactly its own message, each recorded as sent.
#[actix_web::test]
async fn mails_of_transfers_committed_together_all_arrive_once() {
    use std::time::Duration;
    let app = crate::support::spawn_app_with(|f| {
        super::quick(f).merge(figment::providers::Serialized::default("jobs.poll_interval_ms", 50))
    })
    .await;
    let mut pairs = Vec::new();
    for _ in 0..8 {
        let (sender, recipient) = (app.customer().await, app.customer().await);
        let from = app.funded(&sender, "USD", 1_000).await;
        let to = app.funded(&recipient, "USD", 0).await;
        pairs.push((sender, from, recipient, to));
    }
    let registry = tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let workers = crate::support::jobs::start_queue_workers(&app.state.jobs, registry, false, &["send_email"]);
    futures::future::join_all(pairs.iter().map(|(sender, from, _, to)| app.transferred(sender, from, to, 100))).await;
    let sent = async || -> Vec<String> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM email_outbox WHERE template = 'transfer_received' AND sent_at IS NOT NULL",
        )
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
        ids
    };
    crate::support::jobs::eventually(Duration::from_secs(20), "every transfer mail sent", async || {
        sent().await.len() == pairs.len()
    })
    .await;
    let mut received: Vec<String> = Vec::new();
    for id in sent().await {
        let path = app.data_dir.path().join("mail").join(format!("{id}.eml"));
        let message = std::fs::read_to_string(&path).unwrap();
        received.push(crate::support::jobs::header(&message, "To").unwrap());
    }
    received.sort();
    let mut expected: Vec<String> = pairs.iter().map(|(_, _, recipient, _)| recipient.email.clone()).collect();
    expected.sort();
    assert_eq!(received, expected, "one message to each recipient");
    workers.stop().await;
}

#[actix_web::test]
async fn a_user_created_by_staff_is_registered_too_without_personal_data() {
    let app = crate::support::spawn_app_with(super::quick).await;
    let email = crate::support::identity::unique_email("invited-event");
    let user = tresor::identity::users::ProvisionedUser {
        email: tresor::identity::fields::Email::parse(&email).unwrap(),
        full_name: tresor::identity::fields::FullName::parse("Grace Hopper").unwrap(),
        roles: vec![tresor::identity::Role::Customer],
        invite_by_email: true,
    };
    let created = app.state.identity.create_user(user, None, &tresor::audit::Actor::system()).await.unwrap();
    let events = outbox(&app).await;
    let registered: Vec<_> = events
        .iter()
        .filter(|(kind, data)| kind == "user.registered" && data["user_id"] == created.user_id.to_string())
        .map(|(_, data)| data)
        .collect();
    assert_eq!(registered.len(), 1, "{events:?}");
    assert_eq!(registered[0]["invited"], true);
    assert_eq!(registered[0]["status"], "active");
    let everything = format!("{registered:?}");
    assert!(!everything.contains(&email) && !everything.contains("Grace"), "{everything}");
}
