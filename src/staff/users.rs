//! Users as staff see them: find one, search, and create (invite). Changes are in `changes`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::Page;
use super::error::StaffError;
use super::service::Staff;
use super::store::users::{self as store, AdminUserRow, ListFilter};
use crate::audit::Actor;
use crate::authz::store::{Grant, live_grants};
use crate::db::decode::{self, opt_time};
use crate::db::time;
use crate::identity::Role;
use crate::identity::fields::{Email, FullName};
use crate::identity::sessions::SessionInfo;
use crate::identity::store::users;
use crate::identity::users::ProvisionedUser;

/// A user and their live sessions, newest first.
#[derive(Debug)]
pub struct UserDetail {
    pub user: AdminUser,
    pub sessions: Vec<SessionInfo>,
}

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

impl AdminUser {
    fn from_row(row: AdminUserRow, roles: Vec<Role>) -> Result<Self, sqlx::Error> {
        let locked_until = opt_time(row.locked_until)?;
        let staff_locked_at = opt_time(row.staff_locked_at)?;
        Ok(Self {
            id: decode::uuid(&row.id)?,
            email: row.email,
            full_name: row.full_name,
            status: row.status,
            roles,
            kyc_status: row.kyc_status,
            mfa_enabled: row.mfa_enabled != 0,
            locked: staff_locked_at.is_some() || locked_until.is_some_and(|t| t > Utc::now()),
            locked_until,
            staff_locked_at,
            created_at: decode::time(&row.created_at)?,
            grants: None,
        })
    }
}

/// `GET /v1/admin/users` filters.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Part of the email or name, any case.
    pub q: Option<String>,
    pub kyc_status: Option<String>,
    pub role: Option<Role>,
    pub locked: Option<bool>,
}

impl Staff {
    /// One user, with grants.
    pub(super) async fn find_user(&self, id: Uuid) -> Result<AdminUser, StaffError> {
        let Some(row) = store::find(self.db.reader(), id).await? else { return Err(StaffError::UserNotFound) };
        let roles = users::roles(self.db.reader(), id).await?;
        let mut user = AdminUser::from_row(row, roles)?;
        user.grants = Some(live_grants(self.db.reader(), id, time::now()).await?);
        Ok(user)
    }

    /// One user, with grants; the read is recorded.
    pub async fn read_user(&self, actor: &Actor, id: Uuid) -> Result<AdminUser, StaffError> {
        let user = self.find_user(id).await?;
        self.record_read(actor, "admin.users.read", "user", Some(id.to_string()), json!({})).await?;
        Ok(user)
    }

    /// One user with their live sessions (the console's user page); recorded as a read.
    pub async fn user_detail(&self, actor: &Actor, id: Uuid) -> Result<UserDetail, StaffError> {
        let user = self.read_user(actor, id).await?;
        let sessions = self.sessions.list(id).await?;
        Ok(UserDetail { user, sessions })
    }

    /// Newest first; the cursor is the last id of the previous page. The search is recorded.
    pub async fn list_users(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<Page<AdminUser>, StaffError> {
        let query = ListFilter {
            text: filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
            kyc_status: filter.kyc_status.as_deref(),
            role: filter.role,
            locked: filter.locked,
            now: time::now(),
            before: cursor,
        };
        let mut rows = store::list(self.db.reader(), &query, i64::from(limit) + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut roles = store::roles_of(self.db.reader(), &ids).await?;
        let items: Vec<AdminUser> = rows
            .into_iter()
            .map(|row| {
                let roles = roles.remove(&row.id).unwrap_or_default();
                AdminUser::from_row(row, roles)
            })
            .collect::<Result<_, _>>()?;
        let next_cursor = if more { items.last().map(|u| u.id.to_string()) } else { None };
        let detail = json!({"q": filter.q.is_some(), "kyc_status": filter.kyc_status,
            "role": filter.role.map(Role::name), "locked": filter.locked, "results": items.len()});
        self.record_read(actor, "admin.users.list", "user", None, detail).await?;
        Ok(Page { items, next_cursor })
    }

    /// Creates a user and emails them an invite (set-password link, single use, `invite_hours`).
    pub async fn create_user(
        &self,
        actor: &Actor,
        email: Email,
        full_name: FullName,
        roles: Vec<Role>,
    ) -> Result<AdminUser, StaffError> {
        let user = ProvisionedUser { email, full_name, roles, invite_by_email: true };
        let created = self.identity.create_user(user, None, actor).await?;
        self.find_user(created.user_id).await
    }
}
