//! Why an MFA flow refused, as data: `crate::http` turns each into its problem+json answer.

use crate::error::Error;

/// A code that did not check out on a signed-in session (the sign-in step has its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrongCode {
    /// Enabling: the first code from a new authenticator (clocks are the usual cause).
    FirstCode,
    /// Disabling or new backup codes: a current code is needed.
    Current,
    /// A step-up: wrong, or accepted once already.
    StepUp,
}

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// No authenticator on record (not even a pending one).
    #[error("MFA is not set up for this account")]
    NoAuthenticator,
    #[error("MFA is not enabled for this account")]
    NotEnabled,
    /// `enable` before `setup`.
    #[error("MFA was not set up before enabling")]
    EnableBeforeSetup,
    /// `enable` when it is on already.
    #[error("MFA is already on")]
    AlreadyEnabled,
    /// `setup` when it is on already: a new authenticator needs MFA disabled first.
    #[error("MFA is already on; setting up a new authenticator needs it off")]
    SetupWhileEnabled,
    #[error("the code does not match")]
    WrongCode(WrongCode),
    /// The sign-in step's `mfa_token` is unknown, expired or used.
    #[error("the mfa_token is invalid")]
    InvalidSignIn,
    /// The sign-in step's wrong codes are used up.
    #[error("too many wrong codes for this sign-in")]
    SignInLocked,
    /// A wrong code at the sign-in step, with the tries left.
    #[error("the code does not match; {left} tries left")]
    WrongSignInCode { left: i64 },
    /// Anything else (storage, identity's own refusals), answered as it is.
    #[error(transparent)]
    Other(#[from] Error),
}

impl From<sqlx::Error> for MfaError {
    fn from(error: sqlx::Error) -> Self {
        Self::Other(error.into())
    }
}

impl From<anyhow::Error> for MfaError {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error.into())
    }
}
