//! SQL for grants and for what decides a user's access (standing, MFA of sessions). Returns
//! rows and grants; `super::access` turns them into an [`Access`](super::Access).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Executor};
use uuid::Uuid;

use super::permission::Permission;
use crate::db::decode::{self, opt_time};
use crate::db::time;

/// A direct grant of one permission (docs/api.md: `POST /v1/admin/users/{id}/permissions`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub permission: Permission,
    pub granted_by: Option<Uuid>,
    pub granted_at: DateTime<Utc>,
    /// `null`: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A `permission_grants` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct GrantRow {
    id: String,
    user_id: String,
    permission: String,
    granted_by: Option<String>,
    granted_at: String,
    expires_at: Option<String>,
}

impl GrantRow {
    /// `None` for a permission retired from the code: it no longer counts.
    fn into_grant(self) -> Result<Option<Grant>, sqlx::Error> {
        let Some(permission) = Permission::parse(&self.permission) else { return Ok(None) };
        Ok(Some(Grant {
            id: decode::uuid(&self.id)?,
            user_id: decode::uuid(&self.user_id)?,
            permission,
            granted_by: self.granted_by.as_deref().map(decode::uuid).transpose()?,
            granted_at: decode::time(&self.granted_at)?,
            expires_at: opt_time(self.expires_at)?,
        }))
    }
}

const GRANT_COLUMNS: &str = "id, user_id, permission, granted_by, granted_at, expires_at";

/// The grants of `user_id` that are neither revoked nor expired at `now`.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn live_grants<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM permission_grants WHERE user_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2) ORDER BY id"
    );
    let rows: Vec<GrantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id.to_string())
        .bind(time::to_db(now))
        .fetch_all(executor)
        .await?;
    let grants = rows.into_iter().map(GrantRow::into_grant).collect::<Result<Vec<_>, _>>()?;
    Ok(grants.into_iter().flatten().collect())
}

#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn insert_grant(
    conn: &mut AnyConnection,
    user_id: Uuid,
    permission: Permission,
    granted_by: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Grant, sqlx::Error> {
    let grant = Grant { id: Uuid::now_v7(), user_id, permission, granted_by, granted_at: time::now(), expires_at };
    sqlx::query(
        "INSERT INTO permission_grants (id, user_id, permission, granted_by, granted_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(grant.id.to_string())
    .bind(user_id.to_string())
    .bind(permission.name())
    .bind(granted_by.map(|u| u.to_string()))
    .bind(time::to_db(grant.granted_at))
    .bind(expires_at.map(time::to_db))
    .execute(conn)
    .await?;
    Ok(grant)
}

/// Revokes a live grant of `user_id`; the grant as it was, or `None` when there is no such one.
#[tracing::instrument(skip_all, fields(user = %user_id, grant = %grant_id))]
pub async fn revoke_grant(
    conn: &mut AnyConnection,
    user_id: Uuid,
    grant_id: Uuid,
    revoked_by: Option<Uuid>,
) -> Result<Option<Grant>, sqlx::Error> {
    let sql = format!(
        "UPDATE permission_grants SET revoked_at = $1, revoked_by = $2 \
         WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL RETURNING {GRANT_COLUMNS}"
    );
    let row: Option<GrantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(time::to_db(time::now()))
        .bind(revoked_by.map(|u| u.to_string()))
        .bind(grant_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(GrantRow::into_grant).transpose()?.flatten())
}

/// What of a `users` row decides whether the account may act at all.
#[derive(Debug, sqlx::FromRow)]
pub struct StandingRow {
    pub status: String,
    pub mfa_enabled: i64,
    pub staff_locked_at: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn standing<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
) -> Result<Option<StandingRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.status, {} AS mfa_enabled, u.staff_locked_at FROM users u WHERE u.id = $1",
        crate::identity::store::users::ENROLLED_SQL
    )))
    .bind(user_id.to_string())
    .fetch_optional(executor)
    .await
}

/// Whether the session passed MFA and when (`sessions.mfa`, `mfa_at`), with whether its user
/// has MFA on now.
#[derive(Clone, Copy, Debug)]
pub struct SessionMfa {
    pub passed: bool,
    pub at: Option<DateTime<Utc>>,
    pub enrolled: bool,
}

#[derive(Debug, sqlx::FromRow)]
struct SessionMfaRow {
    mfa: i64,
    mfa_at: Option<String>,
    mfa_enabled: i64,
}

#[tracing::instrument(skip_all, fields(session = %session_id))]
pub async fn session_mfa<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    session_id: Uuid,
) -> Result<SessionMfa, sqlx::Error> {
    let row: Option<SessionMfaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.mfa, s.mfa_at, {} AS mfa_enabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        crate::identity::store::users::ENROLLED_SQL
    )))
    .bind(session_id.to_string())
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else { return Ok(SessionMfa { passed: false, at: None, enrolled: false }) };
    Ok(SessionMfa { passed: row.mfa != 0, at: opt_time(row.mfa_at)?, enrolled: row.mfa_enabled != 0 })
}

/// Records that the session just passed MFA (a sign-in code, a step-up, enabling MFA).
#[tracing::instrument(skip_all, fields(session = %session_id))]
pub async fn mark_session_mfa(conn: &mut AnyConnection, session_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET mfa = 1, mfa_at = $1 WHERE id = $2")
        .bind(time::to_db(time::now()))
        .bind(session_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
