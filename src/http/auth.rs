//! `POST /v1/auth/login`, `/refresh`, `/logout`.

use actix_web::{HttpResponse, post, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::authn::AuthUser;
use super::optional_json;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::identity::TokenPair;
use crate::identity::fields::{Email, Fields};
use crate::identity::sessions::LoginOutcome;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple", "device_name": "Ada's phone"}))]
pub struct LoginRequest {
    email: String,
    #[schema(value_type = String)]
    password: SecretString,
    /// A name for this device, shown in the session list (e.g. "Ada's phone").
    device_name: Option<String>,
}

/// Longest password accepted at sign-in: the policy allows 128 characters; this only keeps
/// megabyte "passwords" away from the hasher.
const MAX_LOGIN_PASSWORD: usize = 1024;

/// Sign in with email and password.
#[utoipa::path(
    tag = "identity",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginOutcome, description = "the token pair, or `{mfa_required, mfa_token, expires_in}`"),
        (status = 401, body = Problem, description = "`invalid-credentials`: unknown email, wrong password or locked"),
        (status = 403, body = Problem, description = "`email-unverified` (only after a correct password)"),
        (status = 429, body = Problem, description = "`rate-limited`"),
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(&body.email));
    let password_len = body.password.expose_secret().len();
    if password_len == 0 || password_len > MAX_LOGIN_PASSWORD {
        fields.add("password", format!("must be 1 to {MAX_LOGIN_PASSWORD} bytes"));
    }
    let device_name = body.device_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if device_name.as_ref().is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        fields.add("device_name", "must be at most 100 characters without control characters");
    }
    fields.finish()?;
    let Some(email) = email else { return Err(Problem::bad_request("email is required").into()) };
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::LoginIp, &ip, Some(&ip)).await?;
    state.rate_limits.enforce(Limit::LoginIpEmail, &format!("{ip}|{}", email.as_str()), Some(&ip)).await?;
    let outcome = state.sessions.login(&email, body.password, &peer.device(device_name)).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "<refresh_token from the sign-in>"}))]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Exchange a refresh token for a new pair. The old one is spent; presenting it again ends the
/// session.
#[utoipa::path(
    tag = "identity",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, body = Problem, description = "`invalid-token`"),
        (status = 429, body = Problem, description = "`rate-limited` (per session)"),
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let device = peer.device(None);
    let (limits, ip) = (&state.rate_limits, device.ip.clone());
    let limit_session =
        |session: String| async move { Ok(limits.enforce(Limit::Refresh, &session, ip.as_deref()).await?) };
    let pair = state.sessions.refresh(body.refresh_token.trim(), &device, limit_session).await?;
    Ok(HttpResponse::Ok().json(pair))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"all_sessions": true}))]
pub struct LogoutRequest {
    /// End every session of the user, not only this one.
    #[serde(default)]
    all_sessions: bool,
}

/// Sign out. Access tokens of the ended sessions stop working at once.
#[utoipa::path(
    tag = "identity",
    request_body(content = Option<LogoutRequest>, description = "optional"),
    responses((status = 204), (status = 401, body = Problem)),
    security(("bearer" = []))
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let body: LogoutRequest = optional_json(&body)?;
    state.sessions.logout(user.user_id, user.session_id, body.all_sessions, &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
