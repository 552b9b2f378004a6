//! Staff user management: create/invite, find, lock and unlock, roles and grants.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use super::Page;
use crate::audit::{self, Event};
use crate::authz::Permission;
use crate::authz::store::{Grant, insert_grant, live_grants, revoke_grant};
use crate::db::{batch, time};
use crate::error::{ApiError, Problem};
use crate::http::guards::StaffCaller as Staff;
use crate::identity::Role;
use crate::identity::service::accounts::{self, NewAccount};
use crate::identity::service::logout::revoke_sessions;
use crate::identity::store::{self, lockout, opt_time, parse_id};
use crate::state::AppState;

/// A user as staff see it (no sealed personal data).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdminUser {
    pub id: Uuid,
    pub email: Option<String>,
    pub full_name: String,
    pub status: String,
    pub roles: Vec<Role>,
    pub kyc_status: String,
    pub mfa_enabled: bool,
    /// Locked now, by staff or by failed passwords.
    pub locked: bool,
    /// The automatic lockout's end (failed passwords), lifted by time.
    pub locked_until: Option<DateTime<Utc>>,
    /// Set by staff; only staff lift it.
    pub staff_locked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Direct grants still in force (on `GET /v1/admin/users/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grants: Option<Vec<Grant>>,
}

const COLUMNS: &str =
    "id, email, full_name, status, kyc_status, mfa_enabled, locked_until, staff_locked_at, created_at";

fn user_of(row: &sqlx::any::AnyRow, roles: Vec<Role>) -> Result<AdminUser, sqlx::Error> {
    let locked_until = opt_time(row.try_get("locked_until")?)?;
    let staff_locked_at = opt_time(row.try_get("staff_locked_at")?)?;
    Ok(AdminUser {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        email: row.try_get("email")?,
        full_name: row.try_get("full_name")?,
        status: row.try_get("status")?,
        roles,
        kyc_status: row.try_get("kyc_status")?,
        mfa_enabled: row.try_get::<i64, _>("mfa_enabled")? != 0,
        locked: staff_locked_at.is_some() || locked_until.is_some_and(|t| t > Utc::now()),
        locked_until,
        staff_locked_at,
        created_at: time::from_db(&row.try_get::<String, _>("created_at")?)?,
        grants: None,
    })
}

fn not_found() -> ApiError {
    Problem::not_found("the user").into()
}

/// One user, with grants.
pub async fn get(state: &AppState, id: Uuid) -> Result<AdminUser, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(state.db.reader()).await?;
    let Some(row) = row else { return Err(not_found()) };
    let roles = store::users::roles(state.db.reader(), id).await?;
    let mut user = user_of(&row, roles)?;
    user.grants = Some(live_grants(state.db.reader(), id, time::now()).await?);
    Ok(user)
}

/// `GET /v1/admin/users` filters.
#[derive(Debug, Default)]
pub struct Filter {
    /// Part of the email or name, any case.
    pub q: Option<String>,
    pub kyc_status: Option<String>,
    pub role: Option<Role>,
    pub locked: Option<bool>,
}

/// Newest first; the cursor is the last id of the previous page.
pub async fn list(
    state: &AppState,
    filter: &Filter,
    limit: u32,
    cursor: Option<Uuid>,
) -> Result<Page<AdminUser>, ApiError> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let next = |binds: &mut Vec<String>, value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let p = next(&mut binds, format!("%{escaped}%"));
        clauses.push(format!("(LOWER(email) LIKE {p} ESCAPE '\\' OR LOWER(full_name) LIKE {p} ESCAPE '\\')"));
    }
    if let Some(kyc) = &filter.kyc_status {
        let p = next(&mut binds, kyc.clone());
        clauses.push(format!("kyc_status = {p}"));
    }
    if let Some(role) = filter.role {
        let p = next(&mut binds, role.name().to_owned());
        clauses.push(format!("id IN (SELECT user_id FROM user_roles WHERE role = {p})"));
    }
    if let Some(locked) = filter.locked {
        let p = next(&mut binds, time::to_db(time::now()));
        let is_locked = format!("(staff_locked_at IS NOT NULL OR (locked_until IS NOT NULL AND locked_until > {p}))");
        clauses.push(if locked { is_locked } else { format!("NOT {is_locked}") });
    }
    if let Some(cursor) = cursor {
        let p = next(&mut binds, cursor.to_string());
        clauses.push(format!("id < {p}"));
    }
    let filter_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    // Column names and the shape come from the code; every value is bound.
    let sql = format!("SELECT {COLUMNS} FROM users {filter_sql} ORDER BY id DESC LIMIT {}", i64::from(limit) + 1);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    let mut rows = query.fetch_all(state.db.reader()).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let ids: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("id")).collect::<Result<_, _>>()?;
    let mut roles = roles_of(state, &ids).await?;
    let items: Vec<AdminUser> = rows
        .iter()
        .zip(&ids)
        .map(|(row, id)| user_of(row, roles.remove(id).unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    let next_cursor = if more { items.last().map(|u| u.id.to_string()) } else { None };
    Ok(Page { items, next_cursor })
}

async fn roles_of(state: &AppState, ids: &[String]) -> Result<std::collections::HashMap<String, Vec<Role>>, ApiError> {
    let mut out: std::collections::HashMap<String, Vec<Role>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql =
        format!("SELECT user_id, role FROM user_roles WHERE user_id IN ({}) ORDER BY role", batch::list(1, ids.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id.clone());
    }
    for row in query.fetch_all(state.db.reader()).await? {
        let role: String = row.try_get("role")?;
        if let Some(role) = Role::parse(&role) {
            out.entry(row.try_get("user_id")?).or_default().push(role);
        }
    }
    Ok(out)
}

/// Creates a user and emails them an invite (set-password link, single use, `invite_hours`).
pub async fn create(
    state: &AppState,
    staff: &Staff,
    email: crate::identity::fields::Email,
    full_name: crate::identity::fields::FullName,
    roles: Vec<Role>,
) -> Result<AdminUser, ApiError> {
    let account = NewAccount { email, full_name, roles, invite_by_email: true };
    let created = accounts::create(state, account, None, &staff.actor).await?;
    get(state, created.user_id).await
}

async fn after_change(state: &AppState, user: Uuid) {
    if let Err(error) = state.authz.changed(user).await {
        tracing::warn!(error = %error, "could not publish a permission change; other servers catch up within a minute");
    }
}

fn event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(id.to_string()), old, new: Some(new) }
}

/// Locks the user until staff unlock them (the lockout job never lifts this), and ends every
/// session at once.
pub async fn lock(state: &AppState, staff: &Staff, id: Uuid, reason: Option<String>) -> Result<AdminUser, ApiError> {
    let now = time::to_db(time::now());
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET staff_locked_at = COALESCE(staff_locked_at, $1), staff_locked_by = $2, \
         staff_lock_reason = $3, updated_at = $1 WHERE id = $4 AND status <> 'deleted'",
    )
    .bind(&now)
    .bind(staff.user.user_id.to_string())
    .bind(&reason)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    let revoked = store::sessions::revoke_all(&mut tx, id, None, "locked_by_staff").await?;
    let new = json!({"staff_locked": true, "reason": reason, "revoked_sessions": revoked.len()});
    audit::append(&mut tx, state.db.dialect(), &staff.actor, event("user.locked", id, None, new)).await?;
    tx.commit().await?;
    after_change(state, id).await;
    revoke_sessions(state, &revoked).await?;
    get(state, id).await
}

/// Lifts a staff lock and any automatic lockout.
pub async fn unlock(state: &AppState, staff: &Staff, id: Uuid) -> Result<AdminUser, ApiError> {
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET staff_locked_at = NULL, staff_locked_by = NULL, staff_lock_reason = NULL, updated_at = $1 \
         WHERE id = $2 AND status <> 'deleted'",
    )
    .bind(time::to_db(time::now()))
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    lockout::lift(&mut tx, id).await?;
    let new = json!({"staff_locked": false, "locked_until": null});
    audit::append(&mut tx, state.db.dialect(), &staff.actor, event("user.unlocked", id, None, new)).await?;
    tx.commit().await?;
    after_change(state, id).await;
    get(state, id).await
}

/// Replaces the user's roles (none = customer). The last admin cannot be demoted.
pub async fn set_roles(state: &AppState, staff: &Staff, id: Uuid, mut roles: Vec<Role>) -> Result<AdminUser, ApiError> {
    if roles.is_empty() {
        roles.push(Role::Customer);
    }
    roles.sort();
    roles.dedup();
    let mut tx = state.db.begin().await?;
    let exists: Option<String> = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none_or(|s| s == store::users::DELETED) {
        return Err(not_found());
    }
    let old = store::users::roles(&mut *tx, id).await?;
    if old.contains(&Role::Admin) && !roles.contains(&Role::Admin) {
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE r.role = 'admin' AND u.status <> 'deleted' AND r.user_id <> $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if admins == 0 {
            return Err(
                Problem::new(StatusCode::CONFLICT, "last-admin", "the last admin cannot lose the admin role").into()
            );
        }
    }
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
    let now = time::to_db(time::now());
    for role in &roles {
        sqlx::query("INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(role.name())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    }
    let names = |r: &[Role]| r.iter().map(|r| r.name()).collect::<Vec<_>>();
    let audit_event =
        event("user.roles_changed", id, Some(json!({"roles": names(&old)})), json!({"roles": names(&roles)}));
    audit::append(&mut tx, state.db.dialect(), &staff.actor, audit_event).await?;
    tx.commit().await?;
    after_change(state, id).await;
    get(state, id).await
}

pub async fn grant(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    permission: Permission,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Grant, ApiError> {
    let mut tx = state.db.begin().await?;
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    if status.is_none_or(|s| s == store::users::DELETED) {
        return Err(not_found());
    }
    let grant = insert_grant(&mut tx, id, permission, Some(staff.user.user_id), expires_at).await?;
    let new = json!({"grant_id": grant.id, "permission": permission.name(), "expires_at": expires_at});
    audit::append(&mut tx, state.db.dialect(), &staff.actor, event("user.permission_granted", id, None, new)).await?;
    tx.commit().await?;
    after_change(state, id).await;
    Ok(grant)
}

pub async fn revoke(state: &AppState, staff: &Staff, id: Uuid, grant_id: Uuid) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    let Some(grant) = revoke_grant(&mut tx, id, grant_id, Some(staff.user.user_id)).await? else {
        return Err(Problem::not_found("the grant").into());
    };
    let old = json!({"grant_id": grant.id, "permission": grant.permission.name(), "expires_at": grant.expires_at});
    let audit_event = event("user.permission_revoked", id, Some(old), json!({"revoked": true}));
    audit::append(&mut tx, state.db.dialect(), &staff.actor, audit_event).await?;
    tx.commit().await?;
    after_change(state, id).await;
    Ok(())
}
