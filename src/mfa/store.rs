//! SQL for TOTP secrets, backup codes and the MFA step of sign-in (`mfa_challenges`).

use crate::db::reseal::{SealedColumn, reseal_column};
use sqlx::{Any, AnyConnection, Executor, Row};
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::{batch, time};
use crate::identity::store::parse_id;

pub const PENDING: &str = "pending";
pub const ACTIVE: &str = "active";

#[derive(Clone, Debug)]
pub struct TotpRow {
    /// Sealed.
    pub secret: String,
    pub status: String,
    pub last_step: Option<u64>,
}

pub async fn find_totp<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Option<TotpRow>, sqlx::Error> {
    let row = sqlx::query("SELECT secret, status, last_step FROM mfa_totp WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.map(|row| {
        let last: Option<i64> = row.try_get("last_step")?;
        Ok(TotpRow {
            secret: row.try_get("secret")?,
            status: row.try_get("status")?,
            last_step: last.and_then(|s| u64::try_from(s).ok()),
        })
    })
    .transpose()
}

/// Stores a new pending secret, replacing an earlier pending one.
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

/// Replaces the user's backup codes with `hashes` (the old set dies).
pub async fn replace_backup_codes(
    conn: &mut AnyConnection,
    user_id: Uuid,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mfa_backup_codes WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    let now = time::to_db(time::now());
    let mut rows = Insert::new("mfa_backup_codes", &["id", "user_id", "code_hash", "created_at"]);
    for hash in hashes {
        rows.row([
            Uuid::now_v7().to_string().into(),
            user_id.to_string().into(),
            hash.clone().into(),
            now.as_str().into(),
        ]);
    }
    rows.execute(conn).await
}

/// Uses up the unused backup code whose hash is one of `candidates`; the codes left after it,
/// or `None` when none matched.
pub async fn use_backup_code(
    conn: &mut AnyConnection,
    user_id: Uuid,
    candidates: &[String],
) -> Result<Option<i64>, sqlx::Error> {
    if candidates.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "UPDATE mfa_backup_codes SET used_at = $1 WHERE id IN (SELECT id FROM mfa_backup_codes \
         WHERE user_id = $2 AND used_at IS NULL AND code_hash IN ({}) LIMIT 1) AND used_at IS NULL RETURNING id",
        batch::list(3, candidates.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(time::to_db(time::now())).bind(user_id.to_string());
    for candidate in candidates {
        query = query.bind(candidate.clone());
    }
    if query.fetch_optional(&mut *conn).await?.is_none() {
        return Ok(None);
    }
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id.to_string())
        .fetch_one(conn)
        .await?;
    Ok(Some(left))
}

/// A live sign-in waiting for its code, with the device it started on.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// This attempt's number (1-based): attempts are counted before the code is checked.
    pub attempt: i64,
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
pub async fn reserve_attempt(conn: &mut AnyConnection, token_hash: &str, max: u32) -> Result<Reserved, sqlx::Error> {
    let now = time::to_db(time::now());
    let row = sqlx::query(
        "UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failed_attempts < $3 \
         RETURNING id, user_id, device_name, ip, user_agent, failed_attempts",
    )
    .bind(token_hash)
    .bind(&now)
    .bind(i64::from(max))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        return Ok(Reserved::Attempt(Challenge {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
            device_name: row.try_get("device_name")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            attempt: row.try_get("failed_attempts")?,
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
pub async fn close_challenge(conn: &mut AnyConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE mfa_challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(time::to_db(time::now()))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Re-seals TOTP secrets not under the active encryption key (after `tresor keys rotate`), in
/// batches, each row only if it did not change meanwhile. Returns how many.
pub async fn reseal_secrets(db: &crate::db::Db, ring: &crate::crypto::KeyRing, batch: i64) -> anyhow::Result<u64> {
    use crate::crypto::aead;
    let prefix = format!("v1:{}:%", ring.active().0);
    let column = SealedColumn { table: "mfa_totp", id: "user_id", value: "secret" };
    reseal_column(db, column, &prefix, batch, |user_id, sealed| {
        let place = aead::associated_data("mfa_totp", "secret", user_id);
        let plain = zeroize::Zeroizing::new(
            aead::open(ring, sealed, &place).map_err(|e| anyhow::anyhow!("mfa_totp of {user_id}: {e}"))?,
        );
        Ok(aead::seal(ring, &plain, &place))
    })
    .await
}
