//! The mail outbox: the application queues messages inside its own transactions (so a rolled
//! back change sends nothing and a committed one is never forgotten); the `send_email` job
//! delivers them.

mod store;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};
use tresor_jobs::store::StoreError;
use tresor_jobs::{Deferred, SendEmail, Store};
use uuid::Uuid;

use crate::crypto::{KeyRing, aead};
use crate::db::insert::Insert;

/// What is sealed in an outbox row.
#[derive(Serialize, Deserialize)]
struct Sealed {
    to: String,
    data: serde_json::Value,
}

fn associated(id: &Uuid) -> String {
    aead::associated_data("email_outbox", "payload", &id.to_string())
}

/// Queues `email` in the caller's transaction and returns its id (the Message-ID's local part).
#[tracing::instrument(skip_all, fields(template = email.template.name()))]
pub async fn queue(conn: &mut AnyConnection, ring: &KeyRing, email: Email) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let payload =
        serde_json::to_vec(&Sealed { to: email.to, data: email.data }).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let sealed = aead::seal(ring, &payload, &associated(&id));
    store::insert(conn, id, email.template.name(), sealed).await?;
    Ok(id)
}

/// The outbox rows of several messages, sealed, for the caller to insert in its transaction
/// (a ledger batch emails every recipient, with its other rows), and their ids. No job is
/// enqueued in the transaction: the caller enqueues `send_email` for the ids once it has
/// committed, and the sweeper hands whatever is still unsent to `send_email` within its interval.
pub fn outbox_rows(ring: &KeyRing, emails: Vec<Email>) -> Result<(Insert, Vec<Uuid>), sqlx::Error> {
    let mut messages = Vec::with_capacity(emails.len());
    for email in emails {
        let id = Uuid::now_v7();
        let template = email.template.name();
        let payload = serde_json::to_vec(&Sealed { to: email.to, data: email.data })
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        messages.push((id, template, aead::seal(ring, &payload, &associated(&id))));
    }
    let ids = messages.iter().map(|(id, ..)| *id).collect();
    Ok((store::rows(messages), ids))
}

/// Queues `email` and its `send_email` job in the caller's transaction. On the database
/// queue both commit (or roll back) together; on Redis the job comes back deferred: call
/// `deferred.after_commit(&state.jobs)` once the transaction has committed (if that never
/// happens, the sweeper enqueues it within a minute or two).
pub async fn send(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    jobs: &Store,
    email: Email,
) -> Result<(Uuid, Deferred), sqlx::Error> {
    let outbox_id = queue(&mut *conn, ring, email).await?;
    match jobs.enqueue_in(conn, &SendEmail::one(outbox_id)).await {
        Ok(deferred) => Ok((outbox_id, deferred)),
        Err(StoreError::Database(error)) => Err(error),
        Err(other) => Err(sqlx::Error::Encode(Box::new(other))),
    }
}

/// Opens a queued message for delivery. `None` when the row was already sent (payload purged).
pub fn open(ring: &KeyRing, id: &Uuid, template: &str, payload: Option<&str>) -> anyhow::Result<Option<Email>> {
    let Some(payload) = payload else { return Ok(None) };
    let template =
        Template::from_name(template).ok_or_else(|| anyhow::anyhow!("unknown email template {template:?}"))?;
    let plain = aead::open(ring, payload, &associated(id))?;
    let sealed: Sealed = serde_json::from_slice(&plain)?;
    Ok(Some(Email { to: sealed.to, template, data: sealed.data }))
}

/// Seals a queued message's payload again under the ring's active key (key rotation).
pub fn reseal(ring: &KeyRing, id: &Uuid, payload: &str) -> anyhow::Result<String> {
    let plain = aead::open(ring, payload, &associated(id))?;
    Ok(aead::seal(ring, &plain, &associated(id)))
}
