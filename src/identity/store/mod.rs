//! The identity store: SQL for users, sessions and tokens, on either database (`sqlx::Any`).
//! Functions take the caller's connection or transaction, so a service decides what commits
//! together (the change, its audit entry, its email).

pub mod export;
pub mod lockout;
pub mod one_time;
pub mod refresh_tokens;
pub mod retention;
pub mod sealed;
pub mod sessions;
pub mod users;

/// Whether an error is a unique-constraint violation (a concurrent insert won).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
