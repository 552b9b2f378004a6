//! `mfa_backup_codes`: keyed hashes of the current set, each used at most once.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::{batch, time};

/// Replaces the user's backup codes with `hashes` (the old set dies).
#[tracing::instrument(skip_all, fields(user = %user_id))]
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
#[tracing::instrument(skip_all, fields(user = %user_id))]
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
