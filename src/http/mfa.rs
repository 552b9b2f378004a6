//! `/v1/mfa/*` (TOTP setup, enable, disable, backup codes, step-up) and `POST /v1/auth/mfa`,
//! the second step of sign-in.

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::authn::AuthUser;
use super::client::Client;
use super::identity_flows::StateIdentityFlows;
use crate::authz::StepUp;
use crate::error::{ApiError, Problem};
use crate::identity::service::TokenPair;
use crate::mfa::{Proof, backup, totp};
use crate::ratelimit::Limit;
use crate::state::AppState;

/// `POST /v1/mfa/totp/setup`: add these to an authenticator app, then prove a code at `enable`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// Base32, for typing in by hand.
    secret: String,
    /// `otpauth://totp/<issuer>:<email>?secret=…&issuer=…` (SHA-1, 6 digits, 30 s: the defaults)
    otpauth_uri: String,
    /// The URI as a QR code, PNG, base64.
    qr_png_base64: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BackupCodes {
    /// Ten single-use codes, shown this once: store them somewhere safe.
    backup_codes: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// Six digits from the authenticator.
    code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    #[schema(value_type = String)]
    password: SecretString,
    /// Six digits from the authenticator.
    code: String,
}

/// `{code}` or `{backup_code}`, exactly one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    code: Option<String>,
    backup_code: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    /// From `POST /v1/auth/login`'s `{mfa_required: true, mfa_token}`.
    mfa_token: String,
    code: Option<String>,
    backup_code: Option<String>,
}

fn field_error(field: &str, message: &str) -> ApiError {
    let mut errors = crate::error::FieldErrors::new();
    errors.insert(field.to_owned(), vec![message.to_owned()]);
    Problem::invalid_fields(errors).into()
}

fn totp_code(raw: &str) -> Result<String, ApiError> {
    totp::normalize(raw).ok_or_else(|| field_error("code", "must be the 6 digits the authenticator shows"))
}

fn proof(code: Option<String>, backup_code: Option<String>) -> Result<Proof, ApiError> {
    match (code, backup_code) {
        (Some(code), None) => Ok(Proof::Totp(totp_code(&code)?)),
        (None, Some(code)) => backup::normalize(&code)
            .map(Proof::Backup)
            .ok_or_else(|| field_error("backup_code", "must be one of your backup codes (xxxxx-xxxxx)")),
        _ => Err(Problem::bad_request("give exactly one of `code` and `backup_code`").into()),
    }
}

/// Wrong codes on a signed-in session are limited like sign-in codes (`[rate_limits] mfa`).
async fn limit(state: &AppState, user: &AuthUser, client: &Client) -> Result<(), ApiError> {
    state.rate_limits.enforce(Limit::Mfa, &format!("session:{}", user.session_id), Some(&client.ip_text())).await?;
    Ok(())
}

/// Start TOTP enrolment: a new secret, pending until `enable` proves a code.
#[utoipa::path(
    operation_id = "mfa_totp_setup",
    tag = "mfa",
    responses(
        (status = 200, body = TotpSetup),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`mfa-already-enabled`", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/totp/setup")]
pub async fn setup(state: web::Data<AppState>, user: AuthUser, client: Client) -> Result<HttpResponse, ApiError> {
    let setup = state.mfa.setup(user.user_id, &client.device(None)).await?;
    Ok(HttpResponse::Ok().json(TotpSetup {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
        qr_png_base64: setup.qr_png_base64,
    }))
}

/// Turn MFA on with a code from the newly set-up authenticator; answers the backup codes, once.
#[utoipa::path(
    operation_id = "mfa_totp_enable",
    tag = "mfa",
    request_body = CodeRequest,
    responses(
        (status = 200, body = BackupCodes),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`invalid-mfa-code`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`mfa-not-set-up`, `mfa-already-enabled`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/totp/enable")]
pub async fn enable(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = totp_code(&body.code)?;
    limit(&state, &user, &client).await?;
    let codes = state.mfa.enable(user.user_id, user.session_id, code, &client.device(None)).await?;
    Ok(HttpResponse::Ok().json(BackupCodes { backup_codes: codes }))
}

/// Turn MFA off: the password and a current code, on a session that stepped up recently.
#[utoipa::path(
    operation_id = "mfa_totp_disable",
    tag = "mfa",
    request_body = DisableRequest,
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`mfa-step-up-required`, `invalid-credentials`, `invalid-mfa-code`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`mfa-not-enabled`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/totp/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    user: StepUp,
    client: Client,
    body: web::Json<DisableRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let code = totp_code(&body.code)?;
    limit(&state, &user, &client).await?;
    state.mfa.disable(user.user_id, body.password, code, &client.device(None), &StateIdentityFlows(&state)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new set of ten backup codes; the old set stops working.
#[utoipa::path(
    operation_id = "mfa_backup_codes",
    tag = "mfa",
    request_body = CodeRequest,
    responses(
        (status = 200, body = BackupCodes),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`mfa-step-up-required`, `invalid-mfa-code`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`mfa-not-enabled`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/backup-codes")]
pub async fn regenerate_backup_codes(
    state: web::Data<AppState>,
    user: StepUp,
    client: Client,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = totp_code(&body.code)?;
    limit(&state, &user, &client).await?;
    let codes = state.mfa.regenerate(user.user_id, code, &client.device(None)).await?;
    Ok(HttpResponse::Ok().json(BackupCodes { backup_codes: codes }))
}

/// Confirm a code on this session, so it counts as having passed MFA now (for operations that
/// answer `mfa-step-up-required`).
#[utoipa::path(
    operation_id = "mfa_step_up",
    tag = "mfa",
    request_body = ProofRequest,
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`invalid-mfa-code`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`mfa-not-enabled`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/step-up")]
pub async fn step_up(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    body: web::Json<ProofRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let proof = proof(body.code, body.backup_code)?;
    limit(&state, &user, &client).await?;
    state.mfa.step_up(user.user_id, user.session_id, proof, &client.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The second step of sign-in: the `mfa_token` and a TOTP or backup code → the token pair
/// (`mfa: true`). Five wrong codes end that sign-in (`mfa-locked`).
#[utoipa::path(
    operation_id = "auth_mfa",
    tag = "identity",
    request_body = MfaLoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, description = "`invalid-token`, `invalid-mfa-code`, `mfa-locked`", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`rate-limited` (per mfa_token)", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/mfa")]
pub async fn login(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<MfaLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let proof = proof(body.code, body.backup_code)?;
    let token = body.mfa_token.trim();
    let ip = client.ip_text();
    state.rate_limits.enforce(Limit::Mfa, &crate::identity::tokens::opaque::hash(token), Some(&ip)).await?;
    let pair = state.mfa.login(token, proof, &client.device(None), &StateIdentityFlows(&state)).await?;
    Ok(HttpResponse::Ok().json(pair))
}
