//! What a user's data export holds (`GET /v1/users/me/export` queues the request; the export
//! job builds the file from this and mails the link): the profile with personal data opened,
//! sessions, security events and the audit entries about or by the user. Later capabilities
//! (documents, accounts) add their own sections beside these.

use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use super::pii::{self, Column};
use super::store;
use crate::crypto::Keys;
use crate::db::Db;

/// Everything identity holds about `user_id`, as JSON; `None` for an unknown or purged user.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn collect(db: &Db, keys: &Keys, user_id: Uuid) -> anyhow::Result<Option<Value>> {
    let Some(user) = store::users::find(db.reader(), user_id).await? else { return Ok(None) };
    crate::audit::link_pending(db).await?;
    if user.email.is_none() {
        return Ok(None);
    }
    let ring = &keys.encryption;
    let open = |column, sealed: &Option<String>| pii::open_opt(ring, column, &user.id, sealed.as_deref());
    let address = open(Column::Address, &user.address)?.map(|a| serde_json::from_str::<Value>(&a)).transpose()?;
    let profile = json!({
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "phone": open(Column::Phone, &user.phone)?,
        "date_of_birth": open(Column::DateOfBirth, &user.date_of_birth)?,
        "ssn": open(Column::Ssn, &user.ssn)?,
        "address": address,
        "status": user.status,
        "kyc_status": user.kyc_status,
        "mfa_enabled": user.mfa_enabled != 0,
        "roles": store::users::roles(db.reader(), user_id).await?,
        "created_at": user.created_at,
    });
    let id = user_id.to_string();
    let sessions = rows(
        db,
        "SELECT id, device_name, ip, user_agent, created_at, last_used_at, revoked_at FROM sessions \
         WHERE user_id = $1 ORDER BY created_at",
        &id,
        &["id", "device_name", "ip", "user_agent", "created_at", "last_used_at", "revoked_at"],
    )
    .await?;
    let events = rows(
        db,
        "SELECT id, at, kind, ip, detail FROM security_events WHERE user_id = $1 ORDER BY id",
        &id,
        &["id", "at", "kind", "ip", "detail"],
    )
    .await?;
    let audit = rows(
        db,
        "SELECT id, at, action, target_type, target_id, ip, new_value FROM audit_log \
         WHERE actor_id = $1 OR target_id = $1 ORDER BY seq",
        &id,
        &["id", "at", "action", "target_type", "target_id", "ip", "new_value"],
    )
    .await?;
    Ok(Some(json!({ "profile": profile, "sessions": sessions, "security_events": events, "audit": audit })))
}

/// The rows `sql` finds for the user, each as an object of `columns` (all text or null).
async fn rows(db: &Db, sql: &'static str, user_id: &str, columns: &[&str]) -> Result<Vec<Value>, sqlx::Error> {
    let found = sqlx::query(sql).bind(user_id).fetch_all(db.reader()).await?;
    found.iter().map(|row| row_json(row, columns)).collect()
}

fn row_json(row: &sqlx::any::AnyRow, columns: &[&str]) -> Result<Value, sqlx::Error> {
    let mut out = serde_json::Map::new();
    for column in columns {
        out.insert((*column).to_owned(), json!(row.try_get::<Option<String>, _>(*column)?));
    }
    Ok(Value::Object(out))
}
