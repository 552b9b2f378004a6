//! The identity flows: each takes the state, parsed input and who is asking, and does its work
//! in one transaction with its audit entry, security events and emails.

pub mod credentials;
pub mod emails;
mod failures;
pub mod login;
pub mod logout;
pub mod profile;
pub mod recovery;
pub mod refresh;
pub mod register;
pub mod session;
pub mod verification;

use actix_web::http::StatusCode;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::password::HashError;
use super::revocation::RevocationError;
use crate::audit::Actor;
use crate::error::{ApiError, Problem, unavailable};

pub use session::{TokenPair, start_session};

/// Where a request comes from: the device a session is opened on, and the audit actor's place.
#[derive(Clone, Debug, Default)]
pub struct Device {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Device {
    pub fn actor(&self, user_id: Option<Uuid>) -> Actor {
        Actor { user_id, ip: self.ip.clone(), user_agent: self.user_agent.clone() }
    }

    /// Identifies the device across sessions (user agent and chosen name), for new-device mail.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.user_agent.as_deref().unwrap_or_default().as_bytes());
        hasher.update(b"\0");
        hasher.update(self.name.as_deref().unwrap_or_default().as_bytes());
        hex::encode(hasher.finalize())
    }
}

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
