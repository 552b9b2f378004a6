//! Single-use tokens sent by email: verify an address, reset a password, accept an invite, and
//! the short-lived token of a login waiting for its MFA code. Stored as hashes; consumed with a
//! conditional update so two concurrent uses cannot both succeed.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::decode;
use crate::db::time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
    Invite,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
            Self::Invite => "invite",
        }
    }
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: Uuid,
    purpose: Purpose,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(user_id.to_string())
    .bind(purpose.name())
    .bind(token_hash)
    .bind(time::to_db(time::now()))
    .bind(time::to_db(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Consumes a live token of `purpose`; the user it was for, or `None` when it is unknown,
/// expired or used.
#[tracing::instrument(skip_all, fields(purpose = purpose.name()))]
pub async fn consume(
    conn: &mut AnyConnection,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let now = time::to_db(time::now());
    let user: Option<String> = sqlx::query_scalar(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(&now)
    .bind(token_hash)
    .bind(purpose.name())
    .fetch_optional(conn)
    .await?;
    user.as_deref().map(decode::uuid).transpose()
}

/// Ends every unused token of `purpose` for a user (a newer one replaces them).
pub async fn retire(conn: &mut AnyConnection, user_id: Uuid, purpose: Purpose) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE one_time_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(time::to_db(time::now()))
        .bind(user_id.to_string())
        .bind(purpose.name())
        .execute(conn)
        .await?;
    Ok(())
}

/// Opens an MFA login challenge for `user_id`; the MFA issue's `POST /v1/auth/mfa` consumes it.
pub async fn insert_mfa_challenge(
    conn: &mut AnyConnection,
    user_id: Uuid,
    token_hash: &str,
    device: &crate::identity::device::Device,
    expires_at: DateTime<Utc>,
    remember: bool,
    via: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO mfa_challenges (id, user_id, token_hash, device_name, ip, user_agent, created_at, expires_at, \
         remember, via) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(user_id.to_string())
    .bind(token_hash)
    .bind(&device.name)
    .bind(&device.ip)
    .bind(&device.user_agent)
    .bind(time::to_db(time::now()))
    .bind(time::to_db(expires_at))
    .bind(i64::from(remember))
    .bind(via)
    .execute(conn)
    .await?;
    Ok(id)
}

/// The user a live token of `purpose` is for, without using it up.
pub async fn peek<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    executor: E,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let user: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.name())
    .bind(time::to_db(time::now()))
    .fetch_optional(executor)
    .await?;
    user.as_deref().map(decode::uuid).transpose()
}

/// A token's row as the hosted pages read it (used or not, and until when it was good).
#[derive(Debug, sqlx::FromRow)]
pub struct TokenState {
    pub used_at: Option<String>,
    pub expires_at: String,
}

/// The state of a token of `purpose`, used or not, expired or not.
pub async fn state<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    executor: E,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<TokenState>, sqlx::Error> {
    sqlx::query_as("SELECT used_at, expires_at FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2")
        .bind(token_hash)
        .bind(purpose.name())
        .fetch_optional(executor)
        .await
}
