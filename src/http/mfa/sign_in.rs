//! Proving a second factor: the step-up of a session and the second step of sign-in.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{MfaLoginRequest, ProofRequest, limit, proof};
use crate::error::{Error, Problem};
use crate::http::authn::AuthUser;
use crate::http::browser_session::{BrowserSessions, PairAnswer, SessionMode, SessionQuery};
use crate::http::peer::Peer;
use crate::ratelimit::Limit;
use crate::state::AppState;

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
    peer: Peer,
    body: web::Json<ProofRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let proof = proof(body.code, body.backup_code)?;
    limit(&state, &user, &peer).await?;
    state.mfa.step_up(user.user_id, user.session_id, proof, &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The second step of sign-in: the `mfa_token` and a TOTP or backup code → the token pair
/// (`mfa: true`), in cookie mode as for `POST /v1/auth/login`. Five wrong codes end that
/// sign-in (`mfa-locked`).
#[utoipa::path(
    operation_id = "auth_mfa",
    tag = "identity",
    params(SessionQuery),
    request_body = MfaLoginRequest,
    responses(
        (status = 200, body = PairAnswer),
        (status = 403, body = Problem, description = "`csrf-failed` (cookie mode from an origin not allowed)", content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, description = "`invalid-token`, `invalid-mfa-code`, `mfa-locked`", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`rate-limited` (per mfa_token)", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/mfa")]
pub async fn login(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    query: web::Query<SessionQuery>,
    peer: Peer,
    body: web::Json<MfaLoginRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mode = browser.sign_in_mode(&req, query.session, body.session)?;
    let proof = proof(body.code, body.backup_code)?;
    let token = body.mfa_token.trim();
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::Mfa, &crate::identity::tokens::opaque::hash(token), Some(&ip)).await?;
    let pair = state.mfa.login(token, proof, &peer.device(None)).await?;
    Ok(match mode {
        SessionMode::Cookie => browser.respond(pair),
        SessionMode::Body => HttpResponse::Ok().json(PairAnswer::Body(pair)),
    })
}
