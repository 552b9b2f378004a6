//! Lockout expiry: the `expire_lockouts` job runs every step listed here each minute. The
//! users table (with its lockout columns) belongs to the identity capability, which adds its
//! step to [`tasks`]; that step clears lockouts whose time is up and calls [`record_expiry`]
//! for each in the same transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use tresor_jobs::handlers::MaintenanceTask;
use uuid::Uuid;

use crate::audit::{self, Actor, Entry, Event};
use crate::db::{Dialect, time};

/// The lockout-expiry steps of this build (none until the users table exists).
pub fn tasks() -> Vec<Arc<dyn MaintenanceTask>> {
    Vec::new()
}

/// The audit entry of one lockout that ended by itself, in the caller's transaction.
pub async fn record_expiry(
    conn: &mut AnyConnection,
    dialect: Dialect,
    user_id: Uuid,
    locked_until: DateTime<Utc>,
) -> Result<Entry, sqlx::Error> {
    let event = Event {
        action: "user.lockout_expired",
        target_type: "user",
        target_id: Some(user_id.to_string()),
        old: Some(serde_json::json!({ "locked_until": time::to_db(locked_until) })),
        new: Some(serde_json::json!({ "locked_until": null })),
    };
    audit::append(conn, dialect, &Actor::system(), event).await
}
