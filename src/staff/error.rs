//! Why a staff change was refused, as data: `crate::http` turns each into its answer.

use crate::error::Error;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// No such user, or deleted.
    #[error("the user was not found")]
    UserNotFound,
    /// No such live grant of that user.
    #[error("the grant was not found")]
    GrantNotFound,
    /// Demoting or locking the last unlocked admin would leave nobody to manage roles or unlock
    /// anyone.
    #[error("the last admin cannot lose the admin role")]
    LastAdmin,
    /// A staff member tried to lock their own account.
    #[error("you cannot lock your own account")]
    SelfLock,
    /// Anything else (storage, identity's own refusals), answered as it is.
    #[error(transparent)]
    Other(#[from] Error),
}

impl From<sqlx::Error> for StaffError {
    fn from(error: sqlx::Error) -> Self {
        Self::Other(error.into())
    }
}

impl From<anyhow::Error> for StaffError {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error.into())
    }
}
