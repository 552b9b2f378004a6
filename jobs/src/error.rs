//! How a job failed, which decides what happens next: a retryable failure is tried again after
//! a growing delay; a permanent one (bad payload, missing row, a message the mail server refuses
//! for good) goes straight to dead, since running it again cannot succeed.

use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Trying again cannot help: the job is kept as dead with this error.
    #[error("{0}")]
    Permanent(String),
    /// A passing failure (network, database busy, mail server 4xx): try again later.
    #[error("{0}")]
    Retryable(String),
}

impl JobError {
    pub fn permanent(error: impl Display) -> Self {
        Self::Permanent(error.to_string())
    }

    pub fn retryable(error: impl Display) -> Self {
        Self::Retryable(error.to_string())
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent(_))
    }
}

/// Database trouble is passing (busy, pool timeout, connection lost) unless it is about the
/// data itself, which no retry will change.
impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::ColumnNotFound(_) => Self::permanent(error),
            other => Self::retryable(other),
        }
    }
}
