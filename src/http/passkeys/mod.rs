//! `/v1/mfa/passkeys/*` (register, list, remove, step-up) and `/v1/auth/passkey/*`
//! (passwordless sign-in): the request and answer shapes here, the handlers in `registration`
//! and `sign_in`. Each start answers a ceremony token and WebAuthn's JSON options; its finish
//! brings back the token and the browser's `credential.toJSON()`.

mod registration;
mod sign_in;

pub use registration::{list, register_finish, register_start, remove};
pub use sign_in::{sign_in_finish, sign_in_start, step_up_finish, step_up_start};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::browser_session::SessionMode;
use crate::passkeys::{Ceremony, PasskeyInfo, PublicKeyCredential, RegisterPublicKeyCredential};

/// A ceremony's start.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CeremonyAnswer {
    /// Bring this back to the finish: single use, valid `expires_in` seconds.
    ceremony: String,
    /// The `publicKey` options for `navigator.credentials.create` (registration) or `.get`, in
    /// WebAuthn's JSON form (`PublicKeyCredential.parseCreationOptionsFromJSON` /
    /// `parseRequestOptionsFromJSON` read it).
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: serde_json::Value,
    expires_in: u64,
}

impl From<Ceremony> for CeremonyAnswer {
    fn from(ceremony: Ceremony) -> Self {
        Self { ceremony: ceremony.token, public_key: ceremony.public_key, expires_in: ceremony.expires_in }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasskeyView {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    /// The authenticator may sync it to the owner's other devices.
    backup_eligible: bool,
    /// It is synced now.
    backed_up: bool,
    /// Stopped because its signature counter went backwards: remove it and add a new one.
    suspended: bool,
}

impl From<PasskeyInfo> for PasskeyView {
    fn from(p: PasskeyInfo) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
            backup_eligible: p.backup_eligible,
            backed_up: p.backed_up,
            suspended: p.suspended,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasskeyList {
    items: Vec<PasskeyView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ceremony": "<ceremony from the start>", "credential": {"id": "<credential id>", "rawId": "<credential id>", "type": "public-key", "response": {"attestationObject": "<base64url>", "clientDataJSON": "<base64url>"}}, "name": "Work laptop"}))]
pub struct RegisterFinish {
    /// From the start.
    ceremony: String,
    /// `navigator.credentials.create(…)`'s answer, `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
    /// A name for it in the list (1 to 64 characters; default "Passkey").
    name: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ceremony": "<ceremony from the start>", "credential": {"id": "<credential id>", "rawId": "<credential id>", "type": "public-key", "response": {"authenticatorData": "<base64url>", "clientDataJSON": "<base64url>", "signature": "<base64url>", "userHandle": "<base64url>"}}}))]
pub struct SignInFinish {
    /// From the start.
    ceremony: String,
    /// `navigator.credentials.get(…)`'s answer, `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
    /// As for `POST /v1/auth/login`.
    #[serde(default)]
    remember_me: bool,
    /// `cookie`: the refresh token travels as the `__Host-tresor_refresh` cookie (same as
    /// `?session=cookie`).
    session: Option<SessionMode>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ceremony": "<ceremony from the start>", "credential": {"id": "<credential id>", "rawId": "<credential id>", "type": "public-key", "response": {"authenticatorData": "<base64url>", "clientDataJSON": "<base64url>", "signature": "<base64url>", "userHandle": "<base64url>"}}}))]
pub struct StepUpFinish {
    /// From the start.
    ceremony: String,
    /// `navigator.credentials.get(…)`'s answer, `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}
