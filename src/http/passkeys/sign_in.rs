//! Using a passkey: passwordless sign-in and the step-up of a session.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{CeremonyAnswer, SignInFinish, StepUpFinish};
use crate::error::{Error, Problem};
use crate::http::authn::AuthUser;
use crate::http::browser_session::{BrowserSessions, PairAnswer, SessionMode, SessionQuery};
use crate::http::peer::Peer;
use crate::ratelimit::Limit;
use crate::state::AppState;

/// Start a passwordless sign-in: the options for `navigator.credentials.get` with no passkey
/// named (the authenticator offers its own for this site).
#[utoipa::path(
    operation_id = "auth_passkey_start",
    tag = "identity",
    responses(
        (status = 200, body = CeremonyAnswer),
        (status = 429, body = Problem, description = "`rate-limited`", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/passkey/start")]
pub async fn sign_in_start(state: web::Data<AppState>, peer: Peer) -> Result<HttpResponse, Error> {
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::LoginIp, &ip, Some(&ip)).await?;
    let ceremony = state.passkeys.start_sign_in().await?;
    Ok(HttpResponse::Ok().json(CeremonyAnswer::from(ceremony)))
}

/// Finish a passwordless sign-in → the token pair (`mfa: true`; the session counts as stepped
/// up), in cookie mode as for `POST /v1/auth/login`.
#[utoipa::path(
    operation_id = "auth_passkey_finish",
    tag = "identity",
    params(SessionQuery),
    request_body = SignInFinish,
    responses(
        (status = 200, body = PairAnswer),
        (status = 400, body = Problem, description = "`passkey-ceremony-invalid`, `invalid-request`", content_type = "application/problem+json"),
        (status = 401, body = Problem, description = "`passkey-invalid`", content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`passkey-suspended` (its counter went backwards); `csrf-failed` (cookie mode from an origin not allowed)", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`rate-limited`", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/passkey/finish")]
pub async fn sign_in_finish(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    query: web::Query<SessionQuery>,
    peer: Peer,
    body: web::Json<SignInFinish>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mode = browser.sign_in_mode(&req, query.session, body.session)?;
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::LoginIp, &ip, Some(&ip)).await?;
    let device = peer.device(None);
    let pair = state.passkeys.finish_sign_in(body.ceremony.trim(), &body.credential, &device, body.remember_me).await?;
    Ok(match mode {
        SessionMode::Cookie => browser.respond(pair),
        SessionMode::Body => HttpResponse::Ok().json(PairAnswer::Body(pair)),
    })
}

/// Start a step-up of this session with one of the caller's passkeys.
#[utoipa::path(
    operation_id = "mfa_step_up_passkey_start",
    tag = "mfa",
    responses(
        (status = 200, body = CeremonyAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`no-passkeys`", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/step-up/passkey/start")]
pub async fn step_up_start(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let ceremony = state.passkeys.start_step_up(user.user_id, user.session_id).await?;
    Ok(HttpResponse::Ok().json(CeremonyAnswer::from(ceremony)))
}

/// Finish a step-up: this session counts as having passed MFA now (as `POST /v1/mfa/step-up`).
#[utoipa::path(
    operation_id = "mfa_step_up_passkey_finish",
    tag = "mfa",
    request_body = StepUpFinish,
    responses(
        (status = 204),
        (status = 400, body = Problem, description = "`passkey-ceremony-invalid`, `invalid-request`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`invalid-mfa-code` (the passkey did not check out or is not the caller's), `passkey-suspended`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/step-up/passkey/finish")]
pub async fn step_up_finish(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<StepUpFinish>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::Mfa, &format!("session:{}", user.session_id), Some(&ip)).await?;
    let device = peer.device(None);
    state
        .passkeys
        .finish_step_up(user.user_id, user.session_id, body.ceremony.trim(), &body.credential, &device)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
