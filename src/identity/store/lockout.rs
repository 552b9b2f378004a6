//! Atomic lockout counting.
//!
//! A failed-password counter read before verifying and written after lets N parallel guesses
//! all see "below the threshold" and all be verified (a known bypass in other identity
//! servers). Here an attempt first *reserves* a slot with one conditional update — the counter
//! goes up before the password is checked, and only while it is below the threshold and the
//! account is not locked — so however many requests race, at most `threshold` passwords are
//! ever verified before the lock holds. The attempt that takes the last slot sets the lock in
//! the same statement (provisionally: a correct password lifts it), so the lock never depends
//! on a write that comes after the password check. A correct password gives the slots back.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::decode;
use crate::db::time;

/// The outcome of asking to verify a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Verify; this is the n-th consecutive attempt.
    Reserved(i64),
    /// Locked, or the threshold's worth of attempts are already being verified.
    Refused,
}

/// Reserves an attempt; the one that reaches `threshold` also locks until `lock_until`.
pub async fn reserve(
    conn: &mut AnyConnection,
    user_id: Uuid,
    threshold: u32,
    lock_until: DateTime<Utc>,
) -> Result<Attempt, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE NULL END \
         WHERE id = $1 AND failed_logins < $2 AND locked_until IS NULL RETURNING failed_logins",
    )
    .bind(user_id.to_string())
    .bind(i64::from(threshold))
    .bind(time::to_db(lock_until))
    .fetch_optional(conn)
    .await?;
    Ok(n.map_or(Attempt::Refused, Attempt::Reserved))
}

/// A correct password on attempt `n`: the count starts over. The holder of the last slot
/// lifts its own provisional lock; anyone else fails when a lock was set meanwhile (by
/// parallel wrong attempts), and the login must then fail too.
pub async fn succeeded(conn: &mut AnyConnection, user_id: Uuid, n: i64, threshold: u32) -> Result<bool, sqlx::Error> {
    let sql = if n >= i64::from(threshold) {
        "UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = NULL WHERE id = $1"
    } else {
        "UPDATE users SET failed_logins = 0, lockouts = 0 WHERE id = $1 AND locked_until IS NULL"
    };
    let done = sqlx::query(sql).bind(user_id.to_string()).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// A wrong password confirmed the provisional lock: count it toward the next one's length.
pub async fn confirm_lock(conn: &mut AnyConnection, user_id: Uuid) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let until: Option<Option<String>> =
        sqlx::query_scalar("UPDATE users SET lockouts = lockouts + 1 WHERE id = $1 RETURNING locked_until")
            .bind(user_id.to_string())
            .fetch_optional(conn)
            .await?;
    decode::opt_time(until.flatten())
}

/// How long the next lockout lasts after `previous` consecutive ones: base × 2^previous, capped.
pub fn duration(previous: i64, base_minutes: u64, max_hours: u64) -> Duration {
    let cap = max_hours.saturating_mul(60);
    let factor = 1_u64.checked_shl(u32::try_from(previous.clamp(0, 32)).unwrap_or(32)).unwrap_or(u64::MAX);
    let minutes = base_minutes.saturating_mul(factor).min(cap);
    Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 60_000))
}

/// Ends lockouts whose time is up (all of them, or one user's); returns the users unlocked.
pub async fn expire(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    user: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE users SET locked_until = NULL, failed_logins = 0 \
         WHERE locked_until IS NOT NULL AND locked_until <= $1 AND ($2 = '' OR id = $2) RETURNING id",
    )
    .bind(time::to_db(now))
    .bind(user.map(|u| u.to_string()).unwrap_or_default())
    .fetch_all(conn)
    .await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}

/// Lifts any lockout and clears the count (the owner proved control of the email address).
pub async fn lift(conn: &mut AnyConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = NULL WHERE id = $1")
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_double_from_fifteen_minutes_up_to_a_day() {
        let minutes = |previous| duration(previous, 15, 24).num_minutes();
        assert_eq!([minutes(0), minutes(1), minutes(2), minutes(6)], [15, 30, 60, 960]);
        assert_eq!(minutes(7), 24 * 60);
        assert_eq!(minutes(1000), 24 * 60);
    }
}
