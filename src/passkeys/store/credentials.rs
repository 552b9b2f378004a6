//! `passkeys`: the credentials users registered, with the sign counter and backup flags their
//! last use reported. The public key is not secret; the row holds no personal data.

use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::time;

const COLUMNS: &str = "id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, \
     created_at, last_used_at, suspended_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    /// base64url.
    pub credential_id: String,
    pub name: String,
    /// webauthn-rs `Passkey` as JSON.
    pub passkey: String,
    pub sign_count: i64,
    pub backup_eligible: i64,
    pub backup_state: i64,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub suspended_at: Option<String>,
}

/// What a successful use changes.
#[derive(Debug)]
pub struct Use<'a> {
    /// The `Passkey` JSON with its counter and flags brought up to date.
    pub passkey: &'a str,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// Stores `row` (as given); false when its credential id is registered already.
#[tracing::instrument(skip_all, fields(user = %row.user_id))]
pub async fn insert_passkey(conn: &mut AnyConnection, row: &PasskeyRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.credential_id)
    .bind(&row.name)
    .bind(&row.passkey)
    .bind(row.sign_count)
    .bind(row.backup_eligible)
    .bind(row.backup_state)
    .bind(&row.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn find_by_credential<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    credential_id: &str,
) -> Result<Option<PasskeyRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(credential_id).fetch_optional(executor).await
}

/// The user's passkeys, oldest first.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn list_for_user<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Vec<PasskeyRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id.to_string()).fetch_all(executor).await
}

/// Records a use, only if no other use was recorded since the row was read (its counter is
/// still `read_count`) and it is not suspended; false otherwise.
#[tracing::instrument(skip_all, fields(passkey = %id))]
pub async fn record_use(
    conn: &mut AnyConnection,
    id: &str,
    read_count: i64,
    used: &Use<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE passkeys SET passkey = $1, sign_count = $2, backup_eligible = $3, backup_state = $4, last_used_at = $5 \
         WHERE id = $6 AND sign_count = $7 AND suspended_at IS NULL",
    )
    .bind(used.passkey)
    .bind(used.sign_count)
    .bind(i64::from(used.backup_eligible))
    .bind(i64::from(used.backup_state))
    .bind(time::to_db(time::now()))
    .bind(id)
    .bind(read_count)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stops a passkey (its counter went backwards); false when it was stopped already.
#[tracing::instrument(skip_all, fields(passkey = %id))]
pub async fn suspend(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE passkeys SET suspended_at = $1 WHERE id = $2 AND suspended_at IS NULL")
        .bind(time::to_db(time::now()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes `user_id`'s passkey `id`; its name, or `None` when it is not theirs (or gone).
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn remove(conn: &mut AnyConnection, user_id: Uuid, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(conn)
        .await
}

/// Removes every passkey of the user (an MFA reset); how many.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn remove_all(conn: &mut AnyConnection, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1").bind(user_id.to_string()).execute(conn).await?;
    Ok(done.rows_affected())
}
