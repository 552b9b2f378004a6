//! Turning MFA on and off: TOTP setup, enable, disable, new backup codes.

use actix_web::{HttpResponse, post, web};

use super::{BackupCodes, CodeRequest, DisableRequest, TotpSetup, limit, totp_code};
use crate::error::{Error, Problem};
use crate::http::authn::AuthUser;
use crate::http::guards::StepUp;
use crate::http::peer::Peer;
use crate::state::AppState;

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
pub async fn setup(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let setup = state.mfa.setup(user.user_id, &peer.device(None)).await?;
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
    peer: Peer,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, Error> {
    let code = totp_code(&body.code)?;
    limit(&state, &user, &peer).await?;
    let codes = state.mfa.enable(user.user_id, user.session_id, code, &peer.device(None)).await?;
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
    peer: Peer,
    body: web::Json<DisableRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let code = totp_code(&body.code)?;
    limit(&state, &user, &peer).await?;
    state.mfa.disable(user.user_id, body.password, code, &peer.device(None)).await?;
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
    peer: Peer,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, Error> {
    let code = totp_code(&body.code)?;
    limit(&state, &user, &peer).await?;
    let codes = state.mfa.regenerate(user.user_id, code, &peer.device(None)).await?;
    Ok(HttpResponse::Ok().json(BackupCodes { backup_codes: codes }))
}
