//! `mfa_totp`: the sealed secret (pending until enabled), the last accepted step, and the
//! user's `mfa_enabled` flag that goes with it.

use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::time;

pub const PENDING: &str = "pending";
pub const ACTIVE: &str = "active";

#[derive(Clone, Debug)]
pub struct TotpRow {
    /// Sealed.
    pub secret: String,
    pub status: String,
    pub last_step: Option<u64>,
}

/// An `mfa_totp` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct StoredTotp {
    secret: String,
    status: String,
    last_step: Option<i64>,
}

#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn find_totp<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Option<TotpRow>, sqlx::Error> {
    let row: Option<StoredTotp> = sqlx::query_as("SELECT secret, status, last_step FROM mfa_totp WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?;
    Ok(row.map(|row| TotpRow {
        secret: row.secret,
        status: row.status,
        last_step: row.last_step.and_then(|s| u64::try_from(s).ok()),
    }))
}

/// Stores a new pending secret, replacing an earlier pending one.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn put_pending(conn: &mut AnyConnection, user_id: Uuid, sealed: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1 AND status = 'pending'")
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO mfa_totp (user_id, secret, status, created_at) VALUES ($1, $2, 'pending', $3)")
        .bind(user_id.to_string())
        .bind(sealed)
        .bind(time::to_db(time::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records `step` as the newest accepted one; false when it (or a later one) was accepted
/// already — by a concurrent request with the same code, say.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn accept_step(conn: &mut AnyConnection, user_id: Uuid, step: u64) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done =
        sqlx::query("UPDATE mfa_totp SET last_step = $1 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)")
            .bind(step)
            .bind(user_id.to_string())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The pending secret becomes the user's; MFA is on.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn activate(conn: &mut AnyConnection, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let now = time::to_db(time::now());
    let done =
        sqlx::query("UPDATE mfa_totp SET status = 'active', enabled_at = $1 WHERE user_id = $2 AND status = 'pending'")
            .bind(&now)
            .bind(user_id.to_string())
            .execute(&mut *conn)
            .await?;
    sqlx::query("UPDATE users SET mfa_enabled = 1, updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// MFA off: the secret and every backup code are gone.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn remove(conn: &mut AnyConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    for sql in ["DELETE FROM mfa_totp WHERE user_id = $1", "DELETE FROM mfa_backup_codes WHERE user_id = $1"] {
        sqlx::query(sql).bind(user_id.to_string()).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE users SET mfa_enabled = 0, updated_at = $1 WHERE id = $2")
        .bind(time::to_db(time::now()))
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
