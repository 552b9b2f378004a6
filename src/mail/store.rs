//! The `email_outbox` table's SQL: sealed messages waiting for the `send_email` job.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::time;

/// Inserts one sealed message in the caller's transaction.
#[tracing::instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, id: Uuid, template: &str, sealed: String) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO email_outbox (id, template, payload, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(template)
        .bind(sealed)
        .bind(time::to_db(time::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Outbox rows for one multi-row insert, all created now: `(id, template, sealed payload)` each.
pub fn rows(messages: Vec<(Uuid, &'static str, String)>) -> Insert {
    let created_at = time::to_db(time::now());
    let mut rows = Insert::new("email_outbox", &["id", "template", "payload", "created_at"]);
    for (id, template, sealed) in messages {
        rows.row([id.to_string().into(), template.into(), sealed.into(), created_at.as_str().into()]);
    }
    rows
}
