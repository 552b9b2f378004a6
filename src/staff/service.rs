//! [`Staff`]: what staff do through `/v1/admin/*`, with its dependencies. The user
//! administration is in `users`, the lists staff read in `lists`.

use std::sync::Arc;

use serde_json::Value;

use super::error::StaffError;
use crate::audit::Audit;
use crate::audit::{self, Actor, Event};
use crate::authz::Authz;
use crate::db::Db;
use crate::identity::{Identity, Sessions};
use crate::notifications::Notifications;

/// User administration (create/invite, lock, roles, grants) and the records staff read (audit
/// chain, security events, notifications, counts, jobs). Every call is audited with the acting
/// staff member as actor.
pub struct Staff {
    pub(super) db: Db,
    pub(super) jobs: tresor_jobs::Store,
    /// Told after a change to a user's roles, grants or lock.
    pub(super) authz: Arc<Authz>,
    /// Creating users (invites).
    pub(super) identity: Arc<Identity>,
    /// Ending the sessions of a user staff lock (the revocation cache).
    pub(super) sessions: Arc<Sessions>,
    /// The audit chain and the notifications staff read.
    pub(super) records: Records,
    /// The dashboard's last counted figures.
    pub(super) figures: super::figures::FiguresCache,
}

/// What staff read besides users: the audit chain and the notifications.
#[derive(Clone, Debug)]
pub struct Records {
    pub audit: Audit,
    pub notifications: Notifications,
}

impl std::fmt::Debug for Staff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staff").finish_non_exhaustive()
    }
}

impl Staff {
    pub fn new(
        db: Db,
        jobs: tresor_jobs::Store,
        authz: Arc<Authz>,
        identity: Arc<Identity>,
        sessions: Arc<Sessions>,
        records: Records,
    ) -> Self {
        Self { db, jobs, authz, identity, sessions, records, figures: Default::default() }
    }

    /// Records that `actor` read something (who looked at what is part of the record).
    pub async fn record_read(
        &self,
        actor: &Actor,
        action: &'static str,
        target_type: &'static str,
        target_id: Option<String>,
        detail: Value,
    ) -> Result<(), StaffError> {
        let mut tx = self.db.begin().await?;
        let event = Event { action, target_type, target_id, old: None, new: Some(detail) };
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
