//! What staff change about a user: staff locks, roles and direct grants. Each change commits
//! with its audit entry, then tells `Authz` so it counts on the user's next request.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::error::StaffError;
use super::service::Staff;
use super::store::users as store;
use super::users::AdminUser;
use crate::audit::{self, Actor, Event};
use crate::authz::Permission;
use crate::authz::store::{Grant, insert_grant, revoke_grant};
use crate::identity::Role;
use crate::identity::store::{lockout, sessions, users};

fn event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(id.to_string()), old, new: Some(new) }
}

impl Staff {
    /// Locks the user until staff unlock them (the lockout job never lifts this), and ends
    /// every session at once. The last unlocked admin cannot be locked (nobody could then sign in
    /// to unlock anyone), and nobody locks themselves.
    pub async fn lock(&self, actor: &Actor, id: Uuid, reason: Option<String>) -> Result<AdminUser, StaffError> {
        let mut tx = self.db.begin().await?;
        // Every admin row is locked first, so two admins locking each other at once are decided
        // one after the other and cannot both succeed.
        let admins = store::lock_admins(&mut tx).await?;
        if admins.contains(&id) && store::other_admins(&mut tx, id).await? == 0 {
            return Err(StaffError::LastAdmin);
        }
        if actor.user_id == Some(id) {
            return Err(StaffError::SelfLock);
        }
        if !store::lock(&mut tx, id, actor.user_id, reason.as_deref()).await? {
            return Err(StaffError::UserNotFound);
        }
        let revoked = sessions::revoke_all(&mut tx, id, None, "locked_by_staff").await?;
        let new = json!({"staff_locked": true, "reason": reason, "revoked_sessions": revoked.len()});
        audit::record(&mut tx, actor, event("user.locked", id, None, new)).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        self.sessions.announce_revoked(&revoked).await?;
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
        audit::record(&mut tx, actor, event("user.unlocked", id, None, new)).await?;
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
        store::lock_admins(&mut tx).await?;
        let old = users::roles(&mut *tx, id).await?;
        if old.contains(&Role::Admin) && !roles.contains(&Role::Admin) && store::other_admins(&mut tx, id).await? == 0 {
            return Err(StaffError::LastAdmin);
        }
        store::replace_roles(&mut tx, id, &roles).await?;
        let names = |r: &[Role]| r.iter().map(|r| r.name()).collect::<Vec<_>>();
        let audit_event =
            event("user.roles_changed", id, Some(json!({"roles": names(&old)})), json!({"roles": names(&roles)}));
        audit::record(&mut tx, actor, audit_event).await?;
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
        audit::record(&mut tx, actor, event("user.permission_granted", id, None, new)).await?;
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
        audit::record(&mut tx, actor, audit_event).await?;
        tx.commit().await?;
        self.authz.publish_change(id).await;
        Ok(())
    }
}
