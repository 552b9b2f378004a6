//! `/v1/mfa/*` (TOTP setup, enable, disable, backup codes, step-up) and `POST /v1/auth/mfa`,
//! the second step of sign-in (with a passkey: `passkey_step`): the request and answer shapes
//! here, the handlers in `enrolment` and `sign_in`.

mod enrolment;
pub mod passkey_step;
mod sign_in;

pub use enrolment::{disable, enable, regenerate_backup_codes, setup};
pub use sign_in::{login, step_up};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::authn::AuthUser;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::mfa::{Proof, backup, totp};
use crate::ratelimit::Limit;
use crate::state::AppState;

/// `POST /v1/mfa/totp/setup`: add these to an authenticator app, then prove a code at `enable`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// Base32, for typing in by hand.
    pub(super) secret: String,
    /// `otpauth://totp/<issuer>:<email>?secret=…&issuer=…` (SHA-1, 6 digits, 30 s: the defaults)
    pub(super) otpauth_uri: String,
    /// The URI as a QR code, PNG, base64.
    qr_png_base64: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BackupCodes {
    /// Ten single-use codes, shown this once: store them somewhere safe.
    pub(super) backup_codes: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "492039"}))]
pub struct CodeRequest {
    /// Six digits from the authenticator.
    pub(super) code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "correct horse battery staple", "code": "492039"}))]
pub struct DisableRequest {
    #[schema(value_type = String)]
    pub(super) password: SecretString,
    /// Six digits from the authenticator.
    pub(super) code: String,
}

/// `{code}` or `{backup_code}`, exactly one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "492039"}))]
pub struct ProofRequest {
    pub(super) code: Option<String>,
    pub(super) backup_code: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mfa_token": "<mfa_token from POST /v1/auth/login>", "code": "492039"}))]
pub struct MfaLoginRequest {
    /// From `POST /v1/auth/login`'s `{mfa_required: true, mfa_token}`.
    pub(super) mfa_token: String,
    pub(super) code: Option<String>,
    pub(super) backup_code: Option<String>,
    /// `cookie`: the refresh token travels as the `__Host-tresor_refresh` cookie (same as
    /// `?session=cookie`).
    pub(super) session: Option<crate::http::browser_session::SessionMode>,
}

fn field_error(field: &str, message: &str) -> Error {
    let mut errors = crate::error::FieldErrors::new();
    errors.insert(field.to_owned(), vec![message.to_owned()]);
    Problem::invalid_fields(errors).into()
}

pub(crate) fn totp_code(raw: &str) -> Result<String, Error> {
    totp::normalize(raw).ok_or_else(|| field_error("code", "must be the 6 digits the authenticator shows"))
}

pub(crate) fn proof(code: Option<String>, backup_code: Option<String>) -> Result<Proof, Error> {
    match (code, backup_code) {
        (Some(code), None) => Ok(Proof::Totp(totp_code(&code)?)),
        (None, Some(code)) => backup::normalize(&code)
            .map(Proof::Backup)
            .ok_or_else(|| field_error("backup_code", "must be one of your backup codes (xxxxx-xxxxx)")),
        _ => Err(Problem::bad_request("give exactly one of `code` and `backup_code`").into()),
    }
}

/// Wrong codes on a signed-in session are limited like sign-in codes (`[rate_limits] mfa`).
pub(super) async fn limit(state: &AppState, user: &AuthUser, peer: &Peer) -> Result<(), Error> {
    state.rate_limits.enforce(Limit::Mfa, &format!("session:{}", user.session_id), Some(&peer.ip_text())).await?;
    Ok(())
}
