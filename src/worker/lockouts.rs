//! Lockout expiry and the identity tables' cleanup, as maintenance steps of the
//! `expire_lockouts` and `cleanup` jobs. The SQL lives with identity (`identity::maintenance`);
//! each step ends due lockouts with their audit entry, or deletes what has expired.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tresor_jobs::JobError;
use tresor_jobs::handlers::MaintenanceTask;

use crate::db::Db;
use crate::identity::maintenance;

/// Ends lockouts whose time is up (`users.locked_until`), each with a `user.unlocked` audit
/// entry in the same transaction.
pub struct UserLockouts {
    pub db: Db,
}

impl MaintenanceTask for UserLockouts {
    fn name(&self) -> &'static str {
        "users_lockouts"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move { Ok(maintenance::expire_lockouts(&self.db, now).await?) })
    }
}

/// Ended sessions and their refresh tokens, expired one-time (verification, reset, invite)
/// tokens and MFA challenges; personal data of users deleted longer than `retention` ago.
pub struct IdentityCleanup {
    pub db: Db,
    pub retention: chrono::Duration,
}

impl MaintenanceTask for IdentityCleanup {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move {
            let report = maintenance::cleanup(&self.db, now, self.retention).await?;
            Ok(report.sessions + report.one_time_tokens + report.mfa_challenges + report.users_purged)
        })
    }
}

/// The lockout-expiry steps.
pub fn tasks(db: &Db) -> Vec<Arc<dyn MaintenanceTask>> {
    vec![Arc::new(UserLockouts { db: db.clone() })]
}
