//! SQL of federated sign-in: `oidc_flows` (authorization flows in progress), `user_identities`
//! (provider subjects linked to users) and `oidc_pending_links` (a link waiting for the local
//! password). Single-use rows are consumed with one conditional `UPDATE … RETURNING`, so two
//! concurrent uses cannot both succeed.

use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::{decode, time};
use crate::identity::Device;

/// A flow to store when it starts.
pub struct NewFlow<'a> {
    pub id: Uuid,
    pub state_hash: &'a str,
    pub provider: &'a str,
    pub nonce_hash: &'a str,
    /// Sealed.
    pub pkce_verifier: &'a str,
    pub redirect_to: &'a str,
    pub link_user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct FlowRow {
    pub id: String,
    pub provider: String,
    pub nonce_hash: String,
    pub pkce_verifier: String,
    pub redirect_to: String,
    pub link_user_id: Option<String>,
}

pub async fn insert_flow(conn: &mut AnyConnection, flow: &NewFlow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_flows (id, state_hash, provider, nonce_hash, pkce_verifier, redirect_to, link_user_id, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(flow.id.to_string())
    .bind(flow.state_hash)
    .bind(flow.provider)
    .bind(flow.nonce_hash)
    .bind(flow.pkce_verifier)
    .bind(flow.redirect_to)
    .bind(flow.link_user_id.map(|id| id.to_string()))
    .bind(time::to_db(time::now()))
    .bind(time::to_db(flow.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Consumes the live flow whose state hashes to `state_hash` for `provider`; `None` when it is
/// unknown, expired, used or another provider's.
#[tracing::instrument(skip_all)]
pub async fn consume_flow(
    conn: &mut AnyConnection,
    provider: &str,
    state_hash: &str,
) -> Result<Option<FlowRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE oidc_flows SET used_at = $1 \
         WHERE state_hash = $2 AND provider = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING id, provider, nonce_hash, pkce_verifier, redirect_to, link_user_id",
    )
    .bind(time::to_db(time::now()))
    .bind(state_hash)
    .bind(provider)
    .fetch_optional(conn)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub email: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

pub async fn find_identity<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    provider: &str,
    subject: &str,
) -> Result<Option<IdentityRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, provider, email, created_at, last_used_at FROM user_identities \
         WHERE provider = $1 AND subject = $2",
    )
    .bind(provider)
    .bind(subject)
    .fetch_optional(executor)
    .await
}

pub async fn identities_of<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Vec<IdentityRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, provider, email, created_at, last_used_at FROM user_identities \
         WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id.to_string())
    .fetch_all(executor)
    .await
}

/// Links `subject` of `provider` to a user; a unique violation means it is linked already.
pub async fn insert_identity(
    conn: &mut AnyConnection,
    user_id: Uuid,
    provider: &str,
    subject: &str,
    email: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let now = time::to_db(time::now());
    sqlx::query(
        "INSERT INTO user_identities (id, user_id, provider, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.to_string())
    .bind(user_id.to_string())
    .bind(provider)
    .bind(subject)
    .bind(email)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn touch_identity(conn: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE user_identities SET last_used_at = $1 WHERE id = $2")
        .bind(time::to_db(time::now()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes one of the user's identities; false when the user has no such identity.
pub async fn delete_identity(conn: &mut AnyConnection, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM user_identities WHERE id = $1 AND user_id = $2")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many identities the user has.
pub async fn count_identities(conn: &mut AnyConnection, user_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM user_identities WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_one(conn)
        .await
}

/// A link waiting for the local password.
pub struct NewPendingLink<'a> {
    pub token_hash: &'a str,
    pub user_id: Uuid,
    pub provider: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
    pub redirect_to: &'a str,
    pub device: &'a Device,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_pending_link(conn: &mut AnyConnection, link: &NewPendingLink<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_pending_links (id, token_hash, user_id, provider, subject, email, redirect_to, \
         device_name, ip, user_agent, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(link.token_hash)
    .bind(link.user_id.to_string())
    .bind(link.provider)
    .bind(link.subject)
    .bind(link.email)
    .bind(link.redirect_to)
    .bind(link.device.name.clone())
    .bind(link.device.ip.clone())
    .bind(link.device.user_agent.clone())
    .bind(time::to_db(time::now()))
    .bind(time::to_db(link.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct PendingLinkRow {
    pub user_id: String,
    pub provider: String,
    pub subject: String,
    pub email: String,
    pub redirect_to: String,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl PendingLinkRow {
    pub fn user(&self) -> Result<Uuid, sqlx::Error> {
        decode::uuid(&self.user_id)
    }
}

/// The live pending link for `token_hash`, not consumed (a wrong password leaves it usable).
pub async fn find_pending_link<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    token_hash: &str,
) -> Result<Option<PendingLinkRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, provider, subject, email, redirect_to, device_name, ip, user_agent FROM oidc_pending_links \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(time::to_db(time::now()))
    .fetch_optional(executor)
    .await
}

/// Uses the pending link up; false when it was used (or expired) meanwhile.
pub async fn consume_pending_link(conn: &mut AnyConnection, token_hash: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE oidc_pending_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(time::to_db(time::now()))
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
