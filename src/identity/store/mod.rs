//! The identity store: SQL for users, sessions and tokens, on either database (`sqlx::Any`).
//! Functions take the caller's connection or transaction, so a service decides what commits
//! together (the change, its audit entry, its email).

pub mod lockout;
pub mod one_time;
pub mod sessions;
pub mod users;

use chrono::{DateTime, Utc};

/// Decodes an optional stored time.
pub fn opt_time(raw: Option<String>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    raw.as_deref().map(crate::db::time::from_db).transpose()
}

pub fn parse_id(raw: &str) -> Result<uuid::Uuid, sqlx::Error> {
    uuid::Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Whether an error is a unique-constraint violation (a concurrent insert won).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
