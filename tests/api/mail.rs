//! The outbox on the test's database: queued in the caller's transaction, sealed at rest.

use sqlx::Row;
use tresor::mail;
use tresor_jobs::email::{Email, Template};

use crate::support::spawn_app;

fn email() -> Email {
    Email {
        to: "ada@example.com".into(),
        template: Template::VerifyEmail,
        data: serde_json::json!({"link": "https://bank.example/verify?token=SECRET-TOKEN"}),
    }
}

#[actix_web::test]
async fn queued_mail_is_sealed_and_opens_to_what_was_queued() {
    let app = spawn_app().await;
    let (db, ring) = (&app.state.db, &app.state.keys.encryption);
    let mut tx = db.begin().await.unwrap();
    let id = mail::queue(&mut tx, ring, email()).await.unwrap();
    tx.commit().await.unwrap();

    let row = sqlx::query("SELECT template, payload FROM email_outbox WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(db.reader())
        .await
        .unwrap();
    let (template, payload): (String, Option<String>) = (row.get("template"), row.get("payload"));
    assert_eq!(template, "verify_email");
    let payload = payload.unwrap();
    assert!(!payload.contains("SECRET-TOKEN") && !payload.contains("ada@"), "sealed at rest");

    let opened = mail::open(ring, &id, &template, Some(&payload)).unwrap().unwrap();
    assert_eq!(opened.to, "ada@example.com");
    assert_eq!(opened.data["link"], "https://bank.example/verify?token=SECRET-TOKEN");
    assert!(mail::open(ring, &id, &template, None).unwrap().is_none(), "a sent message is gone");
    let other = uuid::Uuid::now_v7();
    assert!(mail::open(ring, &other, &template, Some(&payload)).is_err(), "bound to its own row");
}

#[actix_web::test]
async fn mail_queued_in_a_rolled_back_transaction_is_never_sent() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    mail::queue(&mut tx, &app.state.keys.encryption, email()).await.unwrap();
    tx.rollback().await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox").fetch_one(db.reader()).await.unwrap();
    assert_eq!(count, 0);
}
