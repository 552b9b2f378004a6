//! Why a KYC request was refused. `src/http/kyc.rs` says how each reads as a problem.

/// A refused KYC change, or the store failing underneath it.
#[derive(Debug, thiserror::Error)]
pub enum KycError {
    #[error("KYC is already submitted and awaiting review")]
    AlreadySubmitted,
    #[error("KYC is already approved")]
    AlreadyApproved,
    #[error("this user has no KYC submission awaiting review")]
    NotSubmitted,
    /// No clean identity document; one note per document saying what is wrong with it.
    #[error("a clean identity document (government_id, passport or drivers_license) is required: {}", notes.join("; "))]
    DocumentsMissing { notes: Vec<String> },
    /// The review's reason is missing (to reject) or too long.
    #[error("{0}")]
    InvalidReason(&'static str),
    #[error("staff cannot review their own KYC submission; another reviewer must decide")]
    OwnSubmission,
    /// Two requests raced (SQLite serializes writers, PostgreSQL reports the collision).
    #[error("another request changed this KYC state at the same time; reload and retry")]
    Raced,
    #[error("no such user")]
    UnknownUser,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl KycError {
    /// A unique-key collision is a race with another request; anything else stays what it is.
    pub(super) fn from_insert(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => Self::Raced,
            _ => Self::Store(error),
        }
    }
}
