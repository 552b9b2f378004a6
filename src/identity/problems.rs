//! The answers identity gives when a credential does not check out or a dependency is busy,
//! shared by sign-in, sessions and the user flows so each failure reads the same everywhere.

use actix_web::http::StatusCode;

use super::password::HashError;
use super::revocation::RevocationError;
use crate::error::{ApiError, Problem, unavailable};

/// The one answer for every failed sign-in: unknown email, wrong password, locked account.
pub fn invalid_credentials() -> ApiError {
    Problem::new(StatusCode::UNAUTHORIZED, "invalid-credentials", "the email address or password is not correct").into()
}

/// A one-time or refresh token that is unknown, expired, used or revoked.
pub fn invalid_token(what: &str) -> ApiError {
    Problem::new(StatusCode::BAD_REQUEST, "invalid-token", format!("the {what} is invalid, expired or already used"))
        .into()
}

pub fn hashing_failed(error: HashError) -> ApiError {
    match error {
        HashError::Busy => unavailable("too many sign-ins are being processed; retry in a moment").into(),
        HashError::Failed(cause) => ApiError::Internal(anyhow::anyhow!(cause)),
    }
}

pub fn revocation_failed(error: RevocationError) -> ApiError {
    match error {
        RevocationError::Database(e) => e.into(),
        RevocationError::Redis(e) => {
            tracing::warn!(error = %e, "redis unavailable for session revocation");
            unavailable("the session store is unavailable; retry shortly").into()
        }
    }
}

/// An access token that does not authenticate its bearer (`reason` completes "the access token …").
pub fn unauthorized_token(reason: &str) -> ApiError {
    Problem::new(StatusCode::UNAUTHORIZED, "invalid-token", format!("the access token {reason}; sign in again")).into()
}

/// A refresh token that is unknown, spent, expired or of an ended session.
pub fn refresh_refused() -> ApiError {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "invalid-token",
        "the refresh token is invalid, expired, spent or its session has ended; sign in again",
    )
    .into()
}

/// The current password given to confirm a change is wrong (or the account is locked).
pub fn wrong_current_password() -> ApiError {
    Problem::new(StatusCode::FORBIDDEN, "invalid-credentials", "the current password is not correct").into()
}

/// A correct password for an address not yet confirmed.
pub fn email_unverified() -> ApiError {
    Problem::new(
        StatusCode::FORBIDDEN,
        "email-unverified",
        "confirm your email address with the link we sent before signing in",
    )
    .into()
}

pub fn email_taken() -> ApiError {
    Problem::new(StatusCode::CONFLICT, "email-taken", "a user with this email address already exists").into()
}

/// Open registration is switched off (`[identity] registration = "invite"`).
pub fn registration_closed() -> ApiError {
    Problem::new(
        StatusCode::FORBIDDEN,
        "registration-closed",
        "registration is by invitation only; ask the bank for an invite",
    )
    .into()
}
