//! The second step of sign-in with a passkey: `POST /v1/auth/mfa/passkey/start`, `/finish`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;

use crate::error::{Error, Problem};
use crate::http::browser_session::{BrowserSessions, PairAnswer, SessionMode, SessionQuery};
use crate::http::passkeys::CeremonyAnswer;
use crate::http::peer::Peer;
use crate::passkeys::PublicKeyCredential;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mfa_token": "<mfa_token from POST /v1/auth/login>"}))]
pub struct PasskeyStepStart {
    /// From `POST /v1/auth/login`'s `{mfa_required: true, mfa_token, factors: ["passkey", …]}`.
    mfa_token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mfa_token": "<mfa_token>", "ceremony": "<ceremony from the start>",
    "credential": {"id": "<credential id>", "rawId": "<credential id>", "type": "public-key", "response":
    {"authenticatorData": "<base64url>", "clientDataJSON": "<base64url>", "signature": "<base64url>"}}}))]
pub struct PasskeyStepFinish {
    mfa_token: String,
    /// From the start.
    ceremony: String,
    /// `navigator.credentials.get(…)`'s answer, `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
    /// `cookie`: as for `POST /v1/auth/mfa`.
    session: Option<SessionMode>,
}

async fn limit(state: &AppState, token: &str, peer: &Peer) -> Result<(), Error> {
    let key = crate::identity::tokens::opaque::hash(token);
    Ok(state.rate_limits.enforce(Limit::Mfa, &key, Some(&peer.ip_text())).await?)
}

/// Start the second step of sign-in with a passkey: the options naming the user's passkeys.
#[utoipa::path(
    operation_id = "auth_mfa_passkey_start",
    tag = "identity",
    request_body = PasskeyStepStart,
    responses(
        (status = 200, body = CeremonyAnswer),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, description = "`invalid-token`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`no-passkeys`", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`rate-limited` (per mfa_token)", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/mfa/passkey/start")]
pub async fn start(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<PasskeyStepStart>,
) -> Result<HttpResponse, Error> {
    let token = body.mfa_token.trim();
    limit(&state, token, &peer).await?;
    let ceremony = state.mfa.passkey_step_start(token).await?;
    Ok(HttpResponse::Ok().json(CeremonyAnswer::from(ceremony)))
}

/// Finish the second step with the passkey's assertion → the token pair (`mfa: true`), in
/// cookie mode as for `POST /v1/auth/login`. Each try counts against the `mfa_token`.
#[utoipa::path(
    operation_id = "auth_mfa_passkey_finish",
    tag = "identity",
    params(SessionQuery),
    request_body = PasskeyStepFinish,
    responses(
        (status = 200, body = PairAnswer),
        (status = 400, body = Problem, description = "`passkey-ceremony-invalid`, `invalid-request`", content_type = "application/problem+json"),
        (status = 401, body = Problem, description = "`invalid-token`, `passkey-invalid`, `mfa-locked`", content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`passkey-suspended`; `csrf-failed` (cookie mode from an origin not allowed)", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`rate-limited` (per mfa_token)", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/mfa/passkey/finish")]
pub async fn finish(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    query: web::Query<SessionQuery>,
    peer: Peer,
    body: web::Json<PasskeyStepFinish>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mode = browser.sign_in_mode(&req, query.session, body.session)?;
    let token = body.mfa_token.trim();
    limit(&state, token, &peer).await?;
    let device = peer.device(None);
    let pair = state.mfa.login_with_passkey(token, body.ceremony.trim(), &body.credential, &device).await?;
    Ok(match mode {
        SessionMode::Cookie => browser.respond(pair),
        SessionMode::Body => HttpResponse::Ok().json(PairAnswer::Body(pair)),
    })
}
