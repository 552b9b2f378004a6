//! `passkey_ceremonies`: a registration, sign-in or step-up between its start and its finish.
//! The client holds only a random token (its SHA-256 is stored); the library's state stays here,
//! sealed. A ceremony is consumed by one conditional `UPDATE … RETURNING` whatever the outcome,
//! so a finish can be tried once.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::time;

pub struct NewCeremony<'a> {
    pub id: Uuid,
    pub token_hash: &'a str,
    pub purpose: &'static str,
    pub user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub challenge_id: Option<Uuid>,
    /// Sealed.
    pub state: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct CeremonyRow {
    pub id: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub challenge_id: Option<String>,
    pub state: String,
}

pub async fn insert(conn: &mut AnyConnection, ceremony: &NewCeremony<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id, token_hash, purpose, user_id, session_id, challenge_id, state, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(ceremony.id.to_string())
    .bind(ceremony.token_hash)
    .bind(ceremony.purpose)
    .bind(ceremony.user_id.map(|id| id.to_string()))
    .bind(ceremony.session_id.map(|id| id.to_string()))
    .bind(ceremony.challenge_id.map(|id| id.to_string()))
    .bind(ceremony.state)
    .bind(time::to_db(time::now()))
    .bind(time::to_db(ceremony.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Consumes the live ceremony of `purpose` whose token hashes to `token_hash`; `None` when it is
/// unknown, expired, used or of another purpose.
#[tracing::instrument(skip_all, fields(purpose))]
pub async fn consume(
    conn: &mut AnyConnection,
    purpose: &str,
    token_hash: &str,
) -> Result<Option<CeremonyRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE passkey_ceremonies SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING id, user_id, session_id, challenge_id, state",
    )
    .bind(time::to_db(time::now()))
    .bind(token_hash)
    .bind(purpose)
    .fetch_optional(conn)
    .await
}
