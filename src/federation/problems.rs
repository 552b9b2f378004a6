//! The answers federated sign-in gives when a flow does not check out. None of them repeats
//! what a provider or a token said beyond its kind: the cause goes to the log.

use crate::error::{Error, Kind, Problem};

pub fn unknown_provider() -> Error {
    Problem::new(Kind::NotFound, "not-found", "no sign-in provider of that name is configured").into()
}

pub fn redirect_not_allowed() -> Error {
    let mut problem = Problem::bad_request("redirect_to must be an absolute URL on one of the allowed origins");
    problem.errors.insert("redirect_to".to_owned(), vec!["not on an allowed origin".to_owned()]);
    problem.into()
}

pub fn provider_unavailable() -> Error {
    Problem::new(Kind::Unavailable, "oidc-provider-unavailable", "the sign-in provider did not answer; retry shortly")
        .with_retry_after(5)
        .into()
}

/// Unknown, expired, used or tampered `state`.
pub fn invalid_state() -> Error {
    Problem::new(
        Kind::Invalid,
        "oidc-state-invalid",
        "this sign-in is unknown, expired or already finished; start again",
    )
    .into()
}

/// The provider answered the redirect with an error (the user declined, say).
pub fn provider_refused() -> Error {
    Problem::new(Kind::Unauthenticated, "oidc-sign-in-failed", "the provider did not sign you in; start again").into()
}

/// The code exchange failed (a wrong PKCE verifier, a used or foreign code).
pub fn exchange_failed() -> Error {
    Problem::new(
        Kind::Unauthenticated,
        "oidc-sign-in-failed",
        "the provider refused to complete this sign-in; start again",
    )
    .into()
}

/// The ID token failed a check (signature, issuer, audience, nonce, expiry).
pub fn invalid_id_token(check: &str) -> Error {
    Problem::new(
        Kind::Unauthenticated,
        "oidc-token-invalid",
        format!("the provider's ID token failed its {check} check"),
    )
    .into()
}

pub fn email_missing() -> Error {
    Problem::new(
        Kind::Unprocessable,
        "oidc-email-missing",
        "the provider did not share an email address; allow the email scope and start again",
    )
    .into()
}

/// A new account needs an address the provider vouches for.
pub fn email_unverified() -> Error {
    Problem::new(
        Kind::Forbidden,
        "oidc-email-unverified",
        "the provider does not say this email address is verified, so no account is opened with it",
    )
    .into()
}

/// An account with this email exists and the provider does not vouch for the address.
pub fn link_refused() -> Error {
    Problem::new(
        Kind::Conflict,
        "oidc-link-refused",
        "an account with this email exists and the provider does not say the address is verified: sign in with \
         your password and link the provider from your account",
    )
    .into()
}

/// The provider account is linked to another user already.
pub fn already_linked() -> Error {
    Problem::new(Kind::Conflict, "identity-already-linked", "this provider account is linked to another user").into()
}

/// Unlinking would leave no way to sign in.
pub fn last_way_in() -> Error {
    Problem::new(
        Kind::Conflict,
        "last-sign-in-method",
        "this is your only way to sign in: set a password (or link another provider) first",
    )
    .into()
}
