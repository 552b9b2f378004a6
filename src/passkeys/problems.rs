//! The answers passkey ceremonies give when they do not check out. None repeats what the
//! authenticator or the library said: the cause goes to the log.

use crate::error::{Error, Kind, Problem};

pub fn unavailable() -> Error {
    Problem::new(
        Kind::Unavailable,
        "passkeys-unavailable",
        "passkeys are off on this server: TRESOR_PUBLIC_URL must name a host, not an IP address",
    )
    .into()
}

/// Unknown, expired, used, another purpose's or another user's ceremony.
pub fn invalid_ceremony() -> Error {
    Problem::new(
        Kind::Invalid,
        "passkey-ceremony-invalid",
        "this passkey ceremony is unknown, expired or already finished; start again",
    )
    .into()
}

pub fn registration_failed() -> Error {
    Problem::new(
        Kind::Invalid,
        "passkey-registration-failed",
        "the authenticator's answer did not check out (challenge, origin, user verification or signature)",
    )
    .into()
}

pub fn already_registered() -> Error {
    Problem::new(Kind::Conflict, "passkey-already-registered", "this passkey is registered already").into()
}

/// A passwordless sign-in whose assertion did not check out, or whose passkey we do not know.
pub fn sign_in_failed() -> Error {
    Problem::new(Kind::Unauthenticated, "passkey-invalid", "the passkey did not check out; try again").into()
}

/// A step-up whose assertion did not check out: as a wrong TOTP code on a session.
pub fn step_up_failed() -> Error {
    Problem::new(Kind::Forbidden, "invalid-mfa-code", "the passkey did not check out or was not one of yours").into()
}

pub fn suspended() -> Error {
    Problem::new(
        Kind::Forbidden,
        "passkey-suspended",
        "this passkey is stopped: its signature counter went backwards, so a copy of it may exist; remove it and \
         add a new one",
    )
    .into()
}

pub fn no_passkeys() -> Error {
    Problem::new(Kind::Conflict, "no-passkeys", "this account has no usable passkey; add one first").into()
}

pub fn not_found() -> Error {
    Problem::not_found("the passkey").into()
}
