//! Federated sign-in with OpenID Connect (`openidconnect`): any number of providers from
//! `[oidc.providers.<name>]`, the authorization-code flow with PKCE (S256), state and nonce kept
//! on the server, ID tokens checked against the provider's keys (following key rotation), and
//! the identities linked to users — never by email alone (`sign_in`). HTTP handlers live in
//! `crate::http::oidc`; docs/federation-and-passkeys.md says why it works this way.

mod callback;
mod identities;
mod problems;
mod providers;
mod service;
mod sign_in;
pub mod store;

use secrecy::SecretString;

use crate::identity::TokenPair;
use crate::identity::sessions::MfaChallenge;

pub use callback::Callback;
pub use identities::LinkedIdentity;
pub use problems::redirect_not_allowed;
pub use service::Federation;

/// What a provider vouched for in a verified ID token.
#[derive(Clone, Debug)]
pub(crate) struct Asserted {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    /// The provider said `email_verified: true`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// How a finished flow ends.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in.
    Session { pair: TokenPair, redirect_to: String },
    /// MFA is on: the second step at `POST /v1/auth/mfa`.
    Mfa { challenge: MfaChallenge, redirect_to: String },
    /// An account has this (provider-verified) address: prove its password at
    /// `POST /v1/auth/oidc/link` to link it.
    LinkRequired { link_token: SecretString, expires_in: u64, redirect_to: String },
    /// A signed-in user linked the provider.
    Linked { redirect_to: String },
}
