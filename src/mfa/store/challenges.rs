//! `mfa_challenges`: sign-ins waiting for their second factor, with their attempt count.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::decode;
use crate::db::time;

/// A live sign-in waiting for its code, with the device it started on.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// How the first step was made (`None` = password).
    pub via: Option<String>,
    /// This attempt's number (1-based): attempts are counted before the code is checked.
    pub attempt: i64,
    /// The sign-in asked for `remember_me`.
    pub remember: bool,
}

/// An `mfa_challenges` row as the attempt counter returns it.
#[derive(Debug, sqlx::FromRow)]
struct ChallengeRow {
    id: String,
    user_id: String,
    device_name: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    via: Option<String>,
    failed_attempts: i64,
    remember: i64,
}

/// What asking to check a code for an `mfa_token` gives.
#[derive(Debug)]
pub enum Reserved {
    /// Check the code; the attempt is already counted.
    Attempt(Challenge),
    /// The token's wrong codes are used up: this sign-in is over.
    Exhausted,
    /// Unknown, expired or used.
    Invalid,
}

/// Counts an attempt against the challenge before its code is checked, so parallel guesses
/// cannot get more than `max` codes checked (the same pattern as the password lockout).
#[tracing::instrument(skip_all)]
pub async fn reserve_attempt(conn: &mut AnyConnection, token_hash: &str, max: u32) -> Result<Reserved, sqlx::Error> {
    let now = time::to_db(time::now());
    let row: Option<ChallengeRow> = sqlx::query_as(
        "UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failed_attempts < $3 \
         RETURNING id, user_id, device_name, ip, user_agent, via, failed_attempts, remember",
    )
    .bind(token_hash)
    .bind(&now)
    .bind(i64::from(max))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        return Ok(Reserved::Attempt(Challenge {
            id: decode::uuid(&row.id)?,
            user_id: decode::uuid(&row.user_id)?,
            device_name: row.device_name,
            ip: row.ip,
            user_agent: row.user_agent,
            via: row.via,
            attempt: row.failed_attempts,
            remember: row.remember != 0,
        }));
    }
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT failed_attempts FROM mfa_challenges WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(&now)
    .fetch_optional(conn)
    .await?;
    Ok(if live.is_some() { Reserved::Exhausted } else { Reserved::Invalid })
}

/// Ends a challenge (the code was right, or the sign-in is given up); false when it had ended.
#[tracing::instrument(skip_all, fields(challenge = %id))]
pub async fn close_challenge(conn: &mut AnyConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE mfa_challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(time::to_db(time::now()))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The live challenge `token_hash` names, without counting an attempt (starting a passkey
/// second step); its id and user.
#[tracing::instrument(skip_all)]
pub async fn find_live(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<(Uuid, Uuid)>, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT id, user_id FROM mfa_challenges WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(time::to_db(time::now()))
    .fetch_optional(conn)
    .await?;
    row.map(|(id, user)| Ok((decode::uuid(&id)?, decode::uuid(&user)?))).transpose()
}
