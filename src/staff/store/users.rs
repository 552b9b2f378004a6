//! Users as staff find and change them: the admin view's columns, the filtered list, roles of
//! many users at once, staff locks and role changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use crate::db::{Dialect, batch, decode, time};
use crate::identity::Role;

/// A `users` row with what staff see (no sealed personal data).
#[derive(Debug, sqlx::FromRow)]
pub struct AdminUserRow {
    pub id: String,
    pub email: Option<String>,
    pub full_name: String,
    pub status: String,
    pub kyc_status: String,
    pub mfa_enabled: i64,
    pub locked_until: Option<String>,
    pub staff_locked_at: Option<String>,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, email, full_name, status, kyc_status, mfa_enabled, locked_until, staff_locked_at, created_at";

#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn find<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    id: Uuid,
) -> Result<Option<AdminUserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(executor).await
}

/// What `GET /v1/admin/users` filters on; every value is bound.
#[derive(Debug, Default)]
pub struct ListFilter<'a> {
    /// Part of the email or name, any case (trimmed, not empty).
    pub text: Option<&'a str>,
    pub kyc_status: Option<&'a str>,
    pub role: Option<Role>,
    /// Locked now (by staff, or by failed passwords until `now`).
    pub locked: Option<bool>,
    pub now: DateTime<Utc>,
    /// Ids below this one (newest first).
    pub before: Option<Uuid>,
}

/// Up to `limit` users matching `filter`, newest first.
#[tracing::instrument(skip_all)]
pub async fn list<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    filter: &ListFilter<'_>,
    limit: i64,
) -> Result<Vec<AdminUserRow>, sqlx::Error> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let next = |binds: &mut Vec<String>, value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(q) = filter.text {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let p = next(&mut binds, format!("%{escaped}%"));
        clauses.push(format!("(LOWER(email) LIKE {p} ESCAPE '\\' OR LOWER(full_name) LIKE {p} ESCAPE '\\')"));
    }
    if let Some(kyc) = filter.kyc_status {
        let p = next(&mut binds, kyc.to_owned());
        clauses.push(format!("kyc_status = {p}"));
    }
    if let Some(role) = filter.role {
        let p = next(&mut binds, role.name().to_owned());
        clauses.push(format!("id IN (SELECT user_id FROM user_roles WHERE role = {p})"));
    }
    if let Some(locked) = filter.locked {
        let p = next(&mut binds, time::to_db(filter.now));
        let is_locked = format!("(staff_locked_at IS NOT NULL OR (locked_until IS NOT NULL AND locked_until > {p}))");
        clauses.push(if locked { is_locked } else { format!("NOT {is_locked}") });
    }
    if let Some(before) = filter.before {
        let p = next(&mut binds, before.to_string());
        clauses.push(format!("id < {p}"));
    }
    let filter_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    // Column names and the shape come from the code; every value is bound.
    let sql = format!("SELECT {COLUMNS} FROM users {filter_sql} ORDER BY id DESC LIMIT {limit}");
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    query.fetch_all(executor).await
}

#[derive(Debug, sqlx::FromRow)]
struct RoleRow {
    user_id: String,
    role: String,
}

/// The roles of each of `ids` (stored ids), in name order; unknown role names are left out.
#[tracing::instrument(skip_all, fields(users = ids.len()))]
pub async fn roles_of<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    ids: &[String],
) -> Result<HashMap<String, Vec<Role>>, sqlx::Error> {
    let mut out: HashMap<String, Vec<Role>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql =
        format!("SELECT user_id, role FROM user_roles WHERE user_id IN ({}) ORDER BY role", batch::list(1, ids.len()));
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id.clone());
    }
    let rows: Vec<RoleRow> = query.fetch_all(executor).await?;
    for row in rows {
        if let Some(role) = Role::parse(&row.role) {
            out.entry(row.user_id).or_default().push(role);
        }
    }
    Ok(out)
}

/// The user's `status`, `None` when there is no such user.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn status(conn: &mut AnyConnection, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM users WHERE id = $1").bind(id.to_string()).fetch_optional(conn).await
}

/// Sets a staff lock on a user who is not deleted; false when there is none.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn lock(
    conn: &mut AnyConnection,
    id: Uuid,
    locked_by: Option<Uuid>,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET staff_locked_at = COALESCE(staff_locked_at, $1), staff_locked_by = $2, \
         staff_lock_reason = $3, updated_at = $1 WHERE id = $4 AND status <> 'deleted'",
    )
    .bind(time::to_db(time::now()))
    .bind(locked_by.map(|u| u.to_string()))
    .bind(reason)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Lifts a staff lock from a user who is not deleted; false when there is none.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn unlock(conn: &mut AnyConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET staff_locked_at = NULL, staff_locked_by = NULL, staff_lock_reason = NULL, updated_at = $1 \
         WHERE id = $2 AND status <> 'deleted'",
    )
    .bind(time::to_db(time::now()))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Admins other than `id` who are neither deleted nor locked by staff (an automatic lockout
/// ends by itself, so it does not count).
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn other_admins(conn: &mut AnyConnection, id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id \
         WHERE r.role = 'admin' AND u.status <> 'deleted' AND u.staff_locked_at IS NULL AND r.user_id <> $1",
    )
    .bind(id.to_string())
    .fetch_one(conn)
    .await
}

/// Locks the rows of every admin until commit, in id order (PostgreSQL; SQLite's write
/// transaction already holds the lock), and returns their ids: a change that must leave one
/// unlocked admin decides on counts nobody else can change meanwhile.
#[tracing::instrument(skip_all)]
pub async fn lock_admins(conn: &mut AnyConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = format!(
        "SELECT id FROM users WHERE id IN (SELECT user_id FROM user_roles WHERE role = 'admin') ORDER BY id{}",
        Dialect::of(conn).for_update()
    );
    let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(conn).await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}

/// Replaces the user's roles with `roles`.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn replace_roles(conn: &mut AnyConnection, id: Uuid, roles: &[Role]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(id.to_string()).execute(&mut *conn).await?;
    let now = time::to_db(time::now());
    for role in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(role.name())
            .bind(&now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
