//! Refresh tokens: each refresh spends its token and issues the next, so a spent token
//! presented again is proof of theft.

use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::time;

pub async fn insert(conn: &mut AnyConnection, session_id: Uuid, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7().to_string())
        .bind(session_id.to_string())
        .bind(token_hash)
        .bind(time::to_db(time::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// A refresh token with the state of its session.
#[derive(Debug, sqlx::FromRow)]
pub struct RefreshRow {
    pub token_id: String,
    pub spent_at: Option<String>,
    pub session_id: String,
    pub user_id: String,
    pub mfa: i64,
    pub remember: i64,
    pub revoked_at: Option<String>,
    pub idle_expires_at: String,
    pub expires_at: String,
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    token_hash: &str,
) -> Result<Option<RefreshRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id AS token_id, r.spent_at, s.id AS session_id, s.user_id, s.mfa, s.remember, s.revoked_at, \
         s.idle_expires_at, s.expires_at FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id \
         WHERE r.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(executor)
    .await
}

/// Spends a refresh token; false when it was spent already (by a concurrent request).
pub async fn spend(conn: &mut AnyConnection, token_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE refresh_tokens SET spent_at = $1 WHERE id = $2 AND spent_at IS NULL")
        .bind(time::to_db(time::now()))
        .bind(token_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
