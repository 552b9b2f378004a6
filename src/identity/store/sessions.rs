//! Sessions: one per login, with the device it was opened on, its idle and absolute ends and
//! its revocation. Their refresh tokens are in `refresh_tokens`.

use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use uuid::Uuid;

use crate::db::decode;
use crate::db::time;

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_name: Option<&'a str>,
    pub device_key: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub mfa: bool,
    /// How the session was opened: `None` = password, `oidc:<provider>`, `passkey`.
    pub via: Option<&'a str>,
    /// Signed in with `remember_me`: only the (longer) absolute end applies.
    pub remember: bool,
    pub idle_expires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(session = %session.id))]
pub async fn insert(conn: &mut AnyConnection, session: &NewSession<'_>) -> Result<(), sqlx::Error> {
    let now = time::to_db(time::now());
    sqlx::query(
        "INSERT INTO sessions (id, user_id, device_name, device_key, ip, user_agent, mfa, mfa_at, created_at, \
         last_used_at, idle_expires_at, expires_at, remember, via) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13)",
    )
    .bind(session.id.to_string())
    .bind(session.user_id.to_string())
    .bind(session.device_name)
    .bind(session.device_key)
    .bind(session.ip)
    .bind(session.user_agent)
    .bind(i64::from(session.mfa))
    .bind(session.mfa.then(|| now.clone()))
    .bind(&now)
    .bind(time::to_db(session.idle_expires_at))
    .bind(time::to_db(session.expires_at))
    .bind(i64::from(session.remember))
    .bind(session.via)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the user signed in from this device before.
pub async fn device_known(
    conn: &mut AnyConnection,
    user_id: Uuid,
    device_key: &str,
) -> Result<(bool, bool), sqlx::Error> {
    let any: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let same: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND device_key = $2")
        .bind(user_id.to_string())
        .bind(device_key)
        .fetch_one(&mut *conn)
        .await?;
    Ok((any > 0, same > 0))
}

pub async fn touch(
    conn: &mut AnyConnection,
    session_id: Uuid,
    idle_expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_used_at = $1, idle_expires_at = $2 WHERE id = $3")
        .bind(time::to_db(time::now()))
        .bind(time::to_db(idle_expires_at))
        .bind(session_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes one session of `user_id`; false when there is no such live session of theirs.
pub async fn revoke_one(
    conn: &mut AnyConnection,
    user_id: Uuid,
    session_id: Uuid,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL",
    )
    .bind(time::to_db(time::now()))
    .bind(reason)
    .bind(session_id.to_string())
    .bind(user_id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of `user_id` except `keep`, and records the moment on the user
/// (`sessions_revoked_at`: links asked for before it stop working); returns the revoked ids.
pub async fn revoke_all(
    conn: &mut AnyConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let now = time::to_db(time::now());
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
         WHERE user_id = $3 AND revoked_at IS NULL AND id <> $4 RETURNING id",
    )
    .bind(&now)
    .bind(reason)
    .bind(user_id.to_string())
    .bind(keep.map(|k| k.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("UPDATE users SET sessions_revoked_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}

/// How a session ends: revoked (when), and its absolute end.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionEnding {
    pub revoked_at: Option<String>,
    pub expires_at: String,
}

/// Whether and when a session ends; `None` for an unknown session.
#[tracing::instrument(skip_all)]
pub async fn ending(pool: &AnyPool, session_id: Uuid) -> Result<Option<SessionEnding>, sqlx::Error> {
    sqlx::query_as("SELECT revoked_at, expires_at FROM sessions WHERE id = $1")
        .bind(session_id.to_string())
        .fetch_optional(pool)
        .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
    pub last_used_at: String,
    pub via: Option<String>,
}

/// The live sessions of a user, newest first.
pub async fn list_live<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    let now = time::to_db(time::now());
    sqlx::query_as(
        "SELECT id, device_name, ip, user_agent, created_at, last_used_at, via FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2 \
         ORDER BY created_at DESC LIMIT 200",
    )
    .bind(user_id.to_string())
    .bind(now)
    .fetch_all(executor)
    .await
}
