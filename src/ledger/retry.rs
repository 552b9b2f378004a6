//! Why an attempt to commit did not: shared by the committing transaction and the statements it
//! runs, so a statement can say "stale" without knowing who retries.

use super::command::LedgerError;

/// Why an attempt did not commit.
pub enum Retry {
    /// The cache or a row changed under us: reload and decide again.
    Stale,
    Failed(LedgerError),
}

impl From<sqlx::Error> for Retry {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // Two requests with one idempotency key on different accounts raced: the loser
            // retries and then finds the winner's record.
            sqlx::Error::Database(e) if e.is_unique_violation() => Self::Stale,
            _ => Self::Failed(error.into()),
        }
    }
}
