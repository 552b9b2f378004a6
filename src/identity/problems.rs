//! The answers identity gives when a credential does not check out or a dependency is busy,
//! shared by sign-in, sessions and the user flows so each failure reads the same everywhere.

use super::password::HashError;
use super::revocation::RevocationError;
use crate::error::{Error, Kind, Problem, unavailable};

/// The one answer for every failed sign-in: unknown email, wrong password, locked account.
pub fn invalid_credentials() -> Error {
    Problem::new(Kind::Unauthenticated, "invalid-credentials", "the email address or password is not correct").into()
}

/// A one-time or refresh token that is unknown, expired, used or revoked.
pub fn invalid_token(what: &str) -> Error {
    Problem::new(Kind::Invalid, "invalid-token", format!("the {what} is invalid, expired or already used")).into()
}

pub fn hashing_failed(error: HashError) -> Error {
    match error {
        HashError::Busy => unavailable("too many sign-ins are being processed; retry in a moment").into(),
        HashError::Failed(cause) => Error::Internal(anyhow::anyhow!(cause)),
    }
}

pub fn revocation_failed(error: RevocationError) -> Error {
    match error {
        RevocationError::Database(e) => e.into(),
        RevocationError::Redis(e) => {
            tracing::warn!(error = %e, "redis unavailable for session revocation");
            unavailable("the session store is unavailable; retry shortly").into()
        }
    }
}

/// An access token that does not authenticate its bearer (`reason` completes "the access token …").
pub fn unauthorized_token(reason: &str) -> Error {
    Problem::new(Kind::Unauthenticated, "invalid-token", format!("the access token {reason}; sign in again")).into()
}

/// A refresh token that is unknown, spent, expired or of an ended session.
pub fn refresh_refused() -> Error {
    Problem::new(
        Kind::Unauthenticated,
        "invalid-token",
        "the refresh token is invalid, expired, spent or its session has ended; sign in again",
    )
    .into()
}

/// The current password given to confirm a change is wrong (or the account is locked).
pub fn wrong_current_password() -> Error {
    Problem::new(Kind::Forbidden, "invalid-credentials", "the current password is not correct").into()
}

/// A correct password for an address not yet confirmed.
pub fn email_unverified() -> Error {
    Problem::new(
        Kind::Forbidden,
        "email-unverified",
        "confirm your email address with the link we sent before signing in",
    )
    .into()
}

pub fn email_taken() -> Error {
    Problem::new(Kind::Conflict, "email-taken", "a user with this email address already exists").into()
}

/// Open registration is switched off (`[identity] registration = "invite"`).
pub fn registration_closed() -> Error {
    Problem::new(
        Kind::Forbidden,
        "registration-closed",
        "registration is by invitation only; ask the bank for an invite",
    )
    .into()
}
