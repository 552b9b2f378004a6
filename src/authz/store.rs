//! SQL for grants and for what a user may do (roles, live grants, MFA enrolment, locks).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Executor, Row};
use uuid::Uuid;

use super::access::Access;
use super::permission::Permission;
use crate::db::time;
use crate::identity::store::{opt_time, parse_id, users};

/// A direct grant of one permission (API.md: `POST /v1/admin/users/{id}/permissions`).
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

fn grant_of(row: &sqlx::any::AnyRow) -> Result<Option<Grant>, sqlx::Error> {
    let name: String = row.try_get("permission")?;
    // A permission retired from the code no longer counts.
    let Some(permission) = Permission::parse(&name) else { return Ok(None) };
    let granted_by: Option<String> = row.try_get("granted_by")?;
    Ok(Some(Grant {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        permission,
        granted_by: granted_by.as_deref().map(parse_id).transpose()?,
        granted_at: time::from_db(&row.try_get::<String, _>("granted_at")?)?,
        expires_at: opt_time(row.try_get("expires_at")?)?,
    }))
}

const GRANT_COLUMNS: &str = "id, user_id, permission, granted_by, granted_at, expires_at";

/// The grants of `user_id` that are neither revoked nor expired at `now`.
pub async fn live_grants<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM permission_grants WHERE user_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2) ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id.to_string())
        .bind(time::to_db(now))
        .fetch_all(executor)
        .await?;
    Ok(rows.iter().map(grant_of).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
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
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(time::to_db(time::now()))
        .bind(revoked_by.map(|u| u.to_string()))
        .bind(grant_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(grant_of).transpose()?.flatten())
}

/// Everything that decides what `user_id` may do, read fresh from the database.
pub async fn load_access<'c, E>(executor: E, user_id: Uuid) -> Result<Access, sqlx::Error>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let row = sqlx::query("SELECT status, mfa_enabled, staff_locked_at FROM users WHERE id = $1")
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?;
    let Some(row) = row else { return Ok(Access::nobody()) };
    let status: String = row.try_get("status")?;
    let staff_locked: Option<String> = row.try_get("staff_locked_at")?;
    let mfa_enabled: i64 = row.try_get("mfa_enabled")?;
    let roles = users::roles(executor, user_id).await?;
    // Grants that expired are left out here, and any that expire while cached are left out
    // when asked (`Access::allows` compares with the clock).
    let grants = live_grants(executor, user_id, time::now()).await?;
    Ok(Access {
        roles,
        grants: grants.into_iter().map(|g| (g.permission, g.expires_at)).collect(),
        mfa_enabled: mfa_enabled != 0,
        active: status != users::DELETED && staff_locked.is_none(),
    })
}

/// Whether the session passed MFA and when (`sessions.mfa`, `mfa_at`), with whether its user
/// has MFA on now.
#[derive(Clone, Copy, Debug)]
pub struct SessionMfa {
    pub passed: bool,
    pub at: Option<DateTime<Utc>>,
    pub enrolled: bool,
}

pub async fn session_mfa<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    session_id: Uuid,
) -> Result<SessionMfa, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.mfa, s.mfa_at, u.mfa_enabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
    )
    .bind(session_id.to_string())
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else { return Ok(SessionMfa { passed: false, at: None, enrolled: false }) };
    Ok(SessionMfa {
        passed: row.try_get::<i64, _>("mfa")? != 0,
        at: opt_time(row.try_get("mfa_at")?)?,
        enrolled: row.try_get::<i64, _>("mfa_enabled")? != 0,
    })
}

/// Records that the session just passed MFA (a sign-in code, a step-up, enabling MFA).
pub async fn mark_session_mfa(conn: &mut AnyConnection, session_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET mfa = 1, mfa_at = $1 WHERE id = $2")
        .bind(time::to_db(time::now()))
        .bind(session_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
