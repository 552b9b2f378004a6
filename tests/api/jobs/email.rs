//! `send_email` against a real SMTP server (plain, STARTTLS, implicit TLS) and the file
//! transport; the sweeper; the Message-ID and sent record.

use std::time::Duration;

use figment::providers::Serialized;
use sqlx::Row;
use tresor::mail;
use tresor_jobs::email::{Email, Template};
use tresor_jobs::handlers;
use tresor_jobs::{SendEmail, queues};

use crate::support::jobs::{SmtpOptions, SmtpServer, Tls, eventually, header};
use crate::support::{TestApp, spawn_app_with};

fn reset_email(to: &str) -> Email {
    Email {
        to: to.into(),
        template: Template::PasswordReset,
        data: serde_json::json!({"full_name": "Ada <Lovelace>", "link": "https://bank.example/reset?token=T0KEN"}),
    }
}

async fn app_with_smtp(smtp: Option<&SmtpServer>) -> TestApp {
    let url = smtp.map(SmtpServer::url).unwrap_or_default();
    let ca = smtp.and_then(|s| s.ca_file.clone()).map(|p| p.display().to_string()).unwrap_or_default();
    spawn_app_with(move |figment| {
        figment
            .merge(Serialized::default("mail.smtp_url", url))
            .merge(Serialized::default("mail.smtp_ca_file", ca))
            .merge(Serialized::default("mail.from", "tresor <no-reply@bank.example>"))
            .merge(Serialized::default("jobs.poll_interval_ms", 50))
            .merge(Serialized::default("jobs.sweep_grace_secs", 0))
    })
    .await
}

/// Queues `email` with its job in one transaction (what later capabilities call).
async fn send(app: &TestApp, email: Email) -> uuid::Uuid {
    let state = &app.state;
    let mut tx = state.db.begin().await.unwrap();
    let (id, deferred) = mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await.unwrap();
    tx.commit().await.unwrap();
    deferred.after_commit(&state.jobs).await;
    id
}

async fn outbox_row(app: &TestApp, id: uuid::Uuid) -> (Option<String>, Option<String>) {
    let row = sqlx::query("SELECT payload, sent_at FROM email_outbox WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    (row.get("payload"), row.get("sent_at"))
}

async fn delivers_over(tls: Tls) {
    let smtp = SmtpServer::start(SmtpOptions { tls, ..SmtpOptions::default() }).await;
    let app = app_with_smtp(Some(&smtp)).await;
    let workers = crate::support::jobs::start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    let id = send(&app, reset_email("ada@example.com")).await;
    eventually(Duration::from_secs(20), "the message to arrive", async || smtp.received().len() == 1).await;
    let message = &smtp.received()[0];
    assert_eq!(header(message, "Message-ID").unwrap(), format!("<{id}@bank.example>"), "{tls:?}");
    assert_eq!(header(message, "Subject").unwrap(), "Reset your password");
    assert_eq!(header(message, "To").unwrap(), "ada@example.com");
    assert!(header(message, "Content-Type").unwrap().starts_with("multipart/alternative"), "{message}");
    assert!(message.contains("text/plain") && message.contains("text/html"), "{message}");
    eventually(Duration::from_secs(10), "the sent record", async || outbox_row(&app, id).await.1.is_some()).await;
    assert_eq!(outbox_row(&app, id).await.0, None, "the sealed payload is dropped once sent");

    // Running the job again (a retry after a crash, a duplicate enqueue) sends nothing.
    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    handlers::send_email(&services, SendEmail::one(id)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "a message recorded as sent is skipped");
    workers.stop().await;
}

#[actix_web::test]
async fn send_email_delivers_over_plain_smtp_with_a_stable_message_id() {
    delivers_over(Tls::Plain).await;
}

#[actix_web::test]
async fn send_email_delivers_over_starttls() {
    delivers_over(Tls::Starttls).await;
}

#[actix_web::test]
async fn send_email_delivers_over_implicit_tls() {
    delivers_over(Tls::Implicit).await;
}

#[actix_web::test]
async fn a_temporary_smtp_refusal_is_retried_and_the_resend_keeps_its_message_id() {
    let smtp = SmtpServer::start(SmtpOptions { reject_first: 2, ..SmtpOptions::default() }).await;
    let app = spawn_app_with({
        let url = smtp.url();
        move |figment| {
            figment
                .merge(Serialized::default("mail.smtp_url", url))
                .merge(Serialized::default("jobs.poll_interval_ms", 50))
                .merge(Serialized::default("jobs.queues.send_email.backoff_base_ms", 100))
        }
    })
    .await;
    let workers = crate::support::jobs::start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    let id = send(&app, reset_email("bob@example.com")).await;
    eventually(Duration::from_secs(20), "delivery after two 451s", async || smtp.received().len() == 1).await;
    assert_eq!(header(&smtp.received()[0], "Message-ID").unwrap(), format!("<{id}@localhost>"));
    workers.stop().await;
}

#[actix_web::test]
async fn without_smtp_each_message_is_a_parseable_eml_file() {
    let app = app_with_smtp(None).await;
    let workers = crate::support::jobs::start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    let id = send(&app, reset_email("carol@example.com")).await;
    let path = app.data_dir.path().join("mail").join(format!("{id}.eml"));
    eventually(Duration::from_secs(20), "the .eml file", async || path.exists()).await;
    let message = std::fs::read_to_string(&path).unwrap();
    assert_eq!(header(&message, "Message-ID").unwrap(), format!("<{id}@bank.example>"));
    assert_eq!(header(&message, "From").unwrap(), "tresor <no-reply@bank.example>");
    assert_eq!(header(&message, "Subject").unwrap(), "Reset your password");
    let boundary = header(&message, "Content-Type").unwrap();
    let boundary = boundary.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()).unwrap().to_owned();
    let parts: Vec<&str> = message.split(&format!("--{boundary}")).collect();
    assert_eq!(parts.len(), 4, "preamble, text, html, epilogue: {message}");
    assert!(header(parts[1].trim_start(), "Content-Type").unwrap().starts_with("text/plain"));
    assert!(header(parts[2].trim_start(), "Content-Type").unwrap().starts_with("text/html"));
    eventually(Duration::from_secs(10), "the sent record", async || outbox_row(&app, id).await.1.is_some()).await;
    workers.stop().await;
}

#[actix_web::test]
async fn mail_queued_without_its_job_is_swept_and_sent_once() {
    let app = app_with_smtp(None).await;
    let state = &app.state;
    // A message whose job was lost: queued, committed, never enqueued.
    let mut tx = state.db.begin().await.unwrap();
    let id = mail::queue(&mut tx, &state.keys.encryption, reset_email("dave@example.com")).await.unwrap();
    tx.commit().await.unwrap();

    let services = tresor::worker::services(&tresor::worker::Handlers::of(state)).unwrap();
    let sweeper = &services.sweepers[0];
    let found = sweeper.pending(chrono::Utc::now()).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].queue, queues::SEND_EMAIL);
    handlers::sweep(&services, &state.jobs).await.unwrap();
    handlers::sweep(&services, &state.jobs).await.unwrap();
    let depth = |overview: tresor_jobs::store::Overview| {
        overview.queues.iter().find(|q| q.queue == queues::SEND_EMAIL).map(|q| q.waiting).unwrap()
    };
    assert_eq!(depth(state.jobs.overview(5).await.unwrap()), 1, "two sweeps enqueue one job");

    let workers = crate::support::jobs::start_workers(
        &state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(state)).unwrap(),
        false,
    );
    let path = app.data_dir.path().join("mail").join(format!("{id}.eml"));
    eventually(Duration::from_secs(20), "the swept message", async || path.exists()).await;
    eventually(Duration::from_secs(10), "the sent record", async || outbox_row(&app, id).await.1.is_some()).await;
    assert!(sweeper.pending(chrono::Utc::now()).await.unwrap().is_empty(), "a sent message is not swept");
    workers.stop().await;
}

/// A ledger batch's mails travel as one job: each message is sent once, the sent ones are
/// recorded together, a message that fails for good does not hold back the others, and a
/// passing refusal stops the job so that its retry sends only what is left.
#[actix_web::test]
async fn one_job_delivers_many_messages_each_once() {
    let smtp = SmtpServer::start(SmtpOptions { reject_first: 1, ..SmtpOptions::default() }).await;
    let app = app_with_smtp(Some(&smtp)).await;
    let state = &app.state;
    let mut ids = Vec::new();
    let mut tx = state.db.begin().await.unwrap();
    for to in ["a@example.com", "b@example.com", "c@example.com"] {
        ids.push(mail::queue(&mut tx, &state.keys.encryption, reset_email(to)).await.unwrap());
    }
    let broken = Email {
        to: "d@example.com".into(),
        template: Template::KycRejected,
        data: serde_json::json!({"full_name": "Dee"}),
    };
    let broken = mail::queue(&mut tx, &state.keys.encryption, broken).await.unwrap();
    tx.commit().await.unwrap();
    let job = SendEmail { outbox_id: ids[0], more: vec![broken, ids[1], ids[2]] };
    let services = tresor::worker::services(&tresor::worker::Handlers::of(state)).unwrap();

    let first = handlers::send_email(&services, job.clone()).await.unwrap_err();
    assert!(!first.is_permanent(), "the server's 451 is passing: {first}");
    assert!(smtp.received().is_empty());
    assert!(outbox_row(&app, ids[0]).await.1.is_none());

    let second = handlers::send_email(&services, job.clone()).await.unwrap_err();
    assert!(second.is_permanent() && second.to_string().contains("reason"), "{second}");
    let to: Vec<String> = smtp.received().iter().map(|m| header(m, "To").unwrap()).collect();
    assert_eq!(to, ["a@example.com", "b@example.com", "c@example.com"]);
    for id in &ids {
        let (payload, sent_at) = outbox_row(&app, *id).await;
        assert!(payload.is_none() && sent_at.is_some(), "{id} is recorded as sent");
    }
    assert_eq!(outbox_row(&app, broken).await.1, None, "the broken message is not recorded as sent");

    let third = handlers::send_email(&services, job).await.unwrap_err();
    assert!(third.is_permanent(), "{third}");
    assert_eq!(smtp.received().len(), 3, "a retry sends no message twice");
}

#[actix_web::test]
async fn a_message_with_missing_template_data_goes_dead_naming_the_field() {
    let app = app_with_smtp(None).await;
    let workers = crate::support::jobs::start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    let email = Email {
        to: "eve@example.com".into(),
        template: Template::KycRejected,
        data: serde_json::json!({"full_name": "Eve"}),
    };
    let id = send(&app, email).await;
    eventually(Duration::from_secs(20), "the dead job", async || {
        !app.state.jobs.overview(5).await.unwrap().dead.is_empty()
    })
    .await;
    let overview = app.state.jobs.overview(5).await.unwrap();
    let error = overview.dead[0].error.clone().unwrap_or_default();
    assert!(error.contains("kyc_rejected") && error.contains("reason"), "{error}");
    assert_eq!(outbox_row(&app, id).await.1, None, "not recorded as sent");
    assert!(!app.data_dir.path().join("mail").join(format!("{id}.eml")).exists());
    workers.stop().await;
}

/// Mail that identity and MFA queue inside their transactions reaches the job queue at commit on
/// every backend (on Redis the job is pushed right after the commit): with no sweeper running,
/// a registration's verification email still arrives.
#[actix_web::test]
async fn identity_mail_is_enqueued_at_commit_without_the_sweeper_on_every_backend() {
    for backend in crate::support::jobs::backends() {
        let smtp = SmtpServer::start(SmtpOptions::default()).await;
        let url = smtp.url();
        let name = match backend {
            tresor_jobs::settings::Backend::Redis => "redis",
            tresor_jobs::settings::Backend::Database => "database",
        };
        let app = spawn_app_with(move |figment| {
            figment
                .merge(Serialized::default("mail.smtp_url", url))
                .merge(Serialized::default("jobs.backend", name))
                .merge(Serialized::default("jobs.poll_interval_ms", 50))
        })
        .await;
        assert_eq!(app.state.jobs.backend(), backend);
        // Workers without the schedules: the sweeper never runs, only the enqueue can deliver.
        let workers = crate::support::jobs::start_workers(
            &app.state.jobs,
            tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
            false,
        );
        let email = crate::support::identity::unique_email("mail-at-commit");
        app.register_user(&email).await;
        eventually(Duration::from_secs(20), "the verification email", async || {
            smtp.received().iter().any(|m| header(m, "To").as_deref() == Some(email.as_str()))
        })
        .await;
        let subject = smtp.received().iter().find_map(|m| header(m, "Subject")).unwrap();
        assert_eq!(subject, "Confirm your email address", "{name}");
        workers.stop().await;
    }
}
