//! Staff user management: create/invite, find, lock and unlock, roles and grants.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::Page;
use super::error::StaffError;
use super::identity_flows::AccountCreation;
use super::service::Staff;
use super::store::users::{self as store, AdminUserRow, ListFilter};
use crate::audit::{self, Actor, Event};
use crate::authz::Permission;
use crate::authz::store::{Grant, insert_grant, live_grants, revoke_grant};
use crate::db::time;
use crate::identity::Role;
use crate::identity::fields::{Email, FullName};
use crate::identity::service::accounts::NewAccount;
use crate::identity::service::revocation_failed;
use crate::identity::store::{lockout, sessions, users};
// Until `crate::db::decode` lands: the identity store's decoders are the crate's one place.
use crate::identity::store::{opt_time, parse_id};

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
            id: parse_id(&row.id)?,
            email: row.email,
            full_name: row.full_name,
            status: row.status,
            roles,
            kyc_status: row.kyc_status,
            mfa_enabled: row.mfa_enabled != 0,
            locked: staff_locked_at.is_some() || locked_until.is_some_and(|t| t > Utc::now()),
            locked_until,
            staff_locked_at,
            created_at: time::from_db(&row.created_at)?,
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

fn event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(id.to_string()), old, new: Some(new) }
}

impl Staff {
    /// One user, with grants.
    async fn find_user(&self, id: Uuid) -> Result<AdminUser, StaffError> {
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
        identity: &impl AccountCreation,
    ) -> Result<AdminUser, StaffError> {
        let account = NewAccount { email, full_name, roles, invite_by_email: true };
        let created = identity.create_account(account, actor).await?;
        self.find_user(created.user_id).await
    }

    /// Locks the user until staff unlock them (the lockout job never lifts this), and ends
    /// every session at once.
    pub async fn lock(&self, actor: &Actor, id: Uuid, reason: Option<String>) -> Result<AdminUser, StaffError> {
        let mut tx = self.db.begin().await?;
        if !store::lock(&mut tx, id, actor.user_id, reason.as_deref()).await? {
            return Err(StaffError::UserNotFound);
        }
        let revoked = sessions::revoke_all(&mut tx, id, None, "locked_by_staff").await?;
        let new = json!({"staff_locked": true, "reason": reason, "revoked_sessions": revoked.len()});
        audit::append(&mut tx, self.db.dialect(), actor, event("user.locked", id, None, new)).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        self.identity.revocations.revoked(self.redis.as_ref(), &revoked).await.map_err(revocation_failed)?;
        self.find_user(id).await
    }

    /// Lifts a staff lock and any automatic lockout.
    pub async fn unlock(&self, actor: &Actor, id: Uuid) -> Result<AdminUser, StaffError> {
        let mut tx = self.db.begin().await?;
        if !store::unlock(&mut tx, id).await? {
            return Err(StaffError::UserNotFound);
        }
        lockout::lift(&mut tx, id).await?;
        let new = json!({"staff_locked": false, "locked_until": null});
        audit::append(&mut tx, self.db.dialect(), actor, event("user.unlocked", id, None, new)).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        self.find_user(id).await
    }

    /// Replaces the user's roles (none = customer). The last admin cannot be demoted.
    pub async fn set_roles(&self, actor: &Actor, id: Uuid, mut roles: Vec<Role>) -> Result<AdminUser, StaffError> {
        if roles.is_empty() {
            roles.push(Role::Customer);
        }
        roles.sort();
        roles.dedup();
        let mut tx = self.db.begin().await?;
        if store::status(&mut tx, id).await?.is_none_or(|s| s == users::DELETED) {
            return Err(StaffError::UserNotFound);
        }
        let old = users::roles(&mut *tx, id).await?;
        if old.contains(&Role::Admin) && !roles.contains(&Role::Admin) && store::other_admins(&mut tx, id).await? == 0 {
            return Err(StaffError::LastAdmin);
        }
        store::replace_roles(&mut tx, id, &roles).await?;
        let names = |r: &[Role]| r.iter().map(|r| r.name()).collect::<Vec<_>>();
        let audit_event =
            event("user.roles_changed", id, Some(json!({"roles": names(&old)})), json!({"roles": names(&roles)}));
        audit::append(&mut tx, self.db.dialect(), actor, audit_event).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        self.find_user(id).await
    }

    /// Grants `permission` to the user until `expires_at` (`None`: until revoked).
    pub async fn grant(
        &self,
        actor: &Actor,
        id: Uuid,
        permission: Permission,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Grant, StaffError> {
        let mut tx = self.db.begin().await?;
        if store::status(&mut tx, id).await?.is_none_or(|s| s == users::DELETED) {
            return Err(StaffError::UserNotFound);
        }
        let grant = insert_grant(&mut tx, id, permission, actor.user_id, expires_at).await?;
        let new = json!({"grant_id": grant.id, "permission": permission.name(), "expires_at": expires_at});
        audit::append(&mut tx, self.db.dialect(), actor, event("user.permission_granted", id, None, new)).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        Ok(grant)
    }

    /// Revokes one of the user's live grants.
    pub async fn revoke(&self, actor: &Actor, id: Uuid, grant_id: Uuid) -> Result<(), StaffError> {
        let mut tx = self.db.begin().await?;
        let Some(grant) = revoke_grant(&mut tx, id, grant_id, actor.user_id).await? else {
            return Err(StaffError::GrantNotFound);
        };
        let old = json!({"grant_id": grant.id, "permission": grant.permission.name(), "expires_at": grant.expires_at});
        let audit_event = event("user.permission_revoked", id, Some(old), json!({"revoked": true}));
        audit::append(&mut tx, self.db.dialect(), actor, audit_event).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        Ok(())
    }
}
