//! Users and their roles.

use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::decode;
use crate::db::time;
use crate::identity::Role;
use crate::identity::password::HashedAs;

pub const PENDING: &str = "pending_verification";
pub const ACTIVE: &str = "active";
pub const DELETED: &str = "deleted";

/// A `users` row as stored (personal data still sealed).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: Option<String>,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub email_verified_at: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub ssn: Option<String>,
    pub address: Option<String>,
    pub kyc_status: String,
    pub mfa_enabled: i64,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub lockouts: i64,
    /// Set by staff (`POST /v1/admin/users/{id}/lock`); only staff lift it.
    pub staff_locked_at: Option<String>,
    pub created_at: String,
    /// 1: the hash is of the NFKC-normalised password; 0: a legacy hash of the raw password.
    pub password_nfkc: i64,
}

impl UserRow {
    pub fn uuid(&self) -> Result<Uuid, sqlx::Error> {
        decode::uuid(&self.id)
    }

    pub fn is_deleted(&self) -> bool {
        self.status == DELETED
    }

    /// What the stored hash was made from.
    pub fn hashed_as(&self) -> HashedAs {
        if self.password_nfkc != 0 { HashedAs::Nfkc } else { HashedAs::Raw }
    }
}

const COLUMNS: &str = "id, email, full_name, password_hash, status, email_verified_at, phone, date_of_birth, ssn, \
     address, kyc_status, mfa_enabled, failed_logins, locked_until, lockouts, staff_locked_at, created_at, \
     password_nfkc";

pub async fn find_by_email<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(executor).await
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(executor: E, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(executor).await
}

/// A user's row and roles in one statement (one row per role; one without a role when none).
pub async fn find_with_roles<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    id: Uuid,
) -> Result<Option<(UserRow, Vec<Role>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct WithRole {
        #[sqlx(flatten)]
        user: UserRow,
        role: Option<String>,
    }
    let sql =
        format!("SELECT {COLUMNS}, role FROM users LEFT JOIN user_roles ON user_id = id WHERE id = $1 ORDER BY role");
    let rows: Vec<WithRole> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_all(executor).await?;
    let mut rows = rows.into_iter();
    let Some(WithRole { user, role }) = rows.next() else { return Ok(None) };
    let roles =
        std::iter::once(role).chain(rows.map(|row| row.role)).flatten().filter_map(|n| Role::parse(&n)).collect();
    Ok(Some((user, roles)))
}

pub async fn roles<'c, E: Executor<'c, Database = Any>>(executor: E, id: Uuid) -> Result<Vec<Role>, sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
        .bind(id.to_string())
        .fetch_all(executor)
        .await?;
    Ok(names.iter().filter_map(|n| Role::parse(n)).collect())
}

/// The KYC status an access token carries.
#[tracing::instrument(skip_all)]
pub async fn kyc_status(conn: &mut AnyConnection, id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT kyc_status FROM users WHERE id = $1").bind(id.to_string()).fetch_one(conn).await
}

/// A user to create; personal data already sealed for this id.
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub status: &'static str,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub ssn: Option<String>,
    pub ssn_index: Option<String>,
    pub address: Option<String>,
}

impl NewUser {
    /// An active user whose email is verified and who has given no personal data (created by
    /// staff, or by a sign-in at an identity provider).
    pub fn verified(id: Uuid, email: String, full_name: String, password_hash: Option<String>) -> Self {
        Self {
            id,
            email,
            full_name,
            password_hash,
            status: ACTIVE,
            email_verified: true,
            phone: None,
            date_of_birth: None,
            ssn: None,
            ssn_index: None,
            address: None,
        }
    }
}

#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn insert(conn: &mut AnyConnection, user: &NewUser, roles: &[Role]) -> Result<(), sqlx::Error> {
    let now = time::to_db(time::now());
    sqlx::query(
        "INSERT INTO users (id, email, full_name, password_hash, status, email_verified_at, phone, date_of_birth, \
         ssn, ssn_index, address, created_at, updated_at, password_nfkc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1)",
    )
    .bind(user.id.to_string())
    .bind(&user.email)
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .bind(user.status)
    .bind(user.email_verified.then(|| now.clone()))
    .bind(&user.phone)
    .bind(&user.date_of_birth)
    .bind(&user.ssn)
    .bind(&user.ssn_index)
    .bind(&user.address)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    for role in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(user.id.to_string())
            .bind(role.name())
            .bind(&now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The owner of an SSN, found by any of its blind indexes.
pub async fn find_by_ssn_index(
    conn: &mut AnyConnection,
    candidates: &[String],
) -> Result<Option<UserRow>, sqlx::Error> {
    for index in candidates {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE ssn_index = $1");
        let found: Option<UserRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(index).fetch_optional(&mut *conn).await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

pub async fn set_password(conn: &mut AnyConnection, id: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    // Every hash the hasher makes is of the normalised password.
    sqlx::query("UPDATE users SET password_hash = $1, password_nfkc = 1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(time::to_db(time::now()))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the email verified (and a pending account active). False when it already was.
pub async fn mark_verified(conn: &mut AnyConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let now = time::to_db(time::now());
    let done = sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), \
         status = CASE WHEN status = 'pending_verification' THEN 'active' ELSE status END, updated_at = $1 \
         WHERE id = $2 AND status <> 'deleted'",
    )
    .bind(&now)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The columns a profile update may set.
const SETTABLE: [&str; 3] = ["full_name", "phone", "address"];

pub async fn set_column(
    conn: &mut AnyConnection,
    id: Uuid,
    column: &str,
    value: Option<String>,
) -> Result<(), sqlx::Error> {
    if !SETTABLE.contains(&column) {
        return Err(sqlx::Error::Protocol(format!("users.{column} is not settable")));
    }
    // The column name comes from the fixed list above, never from input; values are bound.
    let sql = format!("UPDATE users SET {column} = $1, updated_at = $2 WHERE id = $3");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(time::to_db(time::now()))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn soft_delete(conn: &mut AnyConnection, id: Uuid) -> Result<(), sqlx::Error> {
    let now = time::to_db(time::now());
    sqlx::query("UPDATE users SET status = 'deleted', deleted_at = $1, updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE one_time_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(&now)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// An SQL expression, 1 or 0, over the `users` row aliased `u`: the user has a second factor
/// (TOTP on, or a passkey that is not suspended). The sign-in step, the `required_for = "all"`
/// policy, the staff MFA rule and the step-up rule all ask this.
pub const ENROLLED_SQL: &str = "CAST(CASE WHEN u.mfa_enabled <> 0 OR EXISTS (SELECT 1 FROM passkeys p \
     WHERE p.user_id = u.id AND p.suspended_at IS NULL) THEN 1 ELSE 0 END AS BIGINT)";

#[derive(Debug, sqlx::FromRow)]
struct FactorsRow {
    totp: i64,
    passkey: i64,
}

/// The second factors the user has: `totp` (on) and `passkey` (one not suspended); empty when
/// none.
pub async fn second_factors<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    id: Uuid,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let row: Option<FactorsRow> = sqlx::query_as(
        "SELECT u.mfa_enabled AS totp, CAST(CASE WHEN EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id \
         AND p.suspended_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS passkey FROM users u WHERE u.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    Ok([("totp", row.totp), ("passkey", row.passkey)].into_iter().filter(|(_, on)| *on != 0).map(|(f, _)| f).collect())
}
