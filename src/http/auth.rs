//! `POST /v1/auth/login`, `/refresh`, `/logout`, each in body mode or cookie mode
//! (`browser_session`).

use actix_web::{HttpRequest, HttpResponse, post, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::authn::AuthUser;
use super::browser_session::{BrowserSessions, LoginAnswer, PairAnswer, SessionMode, SessionQuery};
use super::optional_json;
use super::peer::Peer;
use crate::error::{Error, Kind, Problem};
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
    /// The session may live `identity.session_remember_days` instead of
    /// `session_absolute_hours` (in cookie mode, its cookie persists as long).
    #[serde(default)]
    remember_me: bool,
    /// `cookie`: the refresh token travels as the `__Host-tresor_refresh` cookie (same as
    /// `?session=cookie`).
    session: Option<SessionMode>,
}

/// Longest password accepted at sign-in: the policy allows 128 characters; this only keeps
/// megabyte "passwords" away from the hasher.
const MAX_LOGIN_PASSWORD: usize = 1024;

/// Sign in with email and password.
#[utoipa::path(
    tag = "identity",
    params(SessionQuery),
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginAnswer, description = "the token pair (in cookie mode: `CookieSession` and the cookies), or `{mfa_required, mfa_token, expires_in}`"),
        (status = 401, body = Problem, description = "`invalid-credentials`: unknown email, wrong password or locked"),
        (status = 403, body = Problem, description = "`email-unverified` (only after a correct password); `csrf-failed` (cookie mode from an origin not allowed)"),
        (status = 429, body = Problem, description = "`rate-limited`"),
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    query: web::Query<SessionQuery>,
    peer: Peer,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mode = browser.sign_in_mode(&req, query.session, body.session)?;
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
    let outcome = state.sessions.login(&email, body.password, &peer.device(device_name), body.remember_me).await?;
    match (outcome, mode) {
        (LoginOutcome::Tokens(pair), SessionMode::Cookie) => Ok(browser.respond(pair)),
        (outcome, _) => Ok(HttpResponse::Ok().json(LoginAnswer::Outcome(outcome))),
    }
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "<refresh_token from the sign-in>"}))]
pub struct RefreshRequest {
    /// Required in body mode; in cookie mode the token is the `__Host-tresor_refresh` cookie
    /// and this must be absent.
    refresh_token: Option<String>,
    /// `cookie`: same as `?session=cookie`.
    session: Option<SessionMode>,
}

/// Exchange a refresh token for a new pair. The old one is spent; presenting it again ends the
/// session. In cookie mode (`?session=cookie`, empty body allowed) the token is the cookie and
/// the request needs `X-CSRF-Token` and an allowed `Origin`; the answer sets the next cookie.
#[utoipa::path(
    tag = "identity",
    params(SessionQuery),
    request_body(content = Option<RefreshRequest>, description = "required in body mode"),
    responses(
        (status = 200, body = PairAnswer, description = "the new pair (in cookie mode: `CookieSession` and the cookies)"),
        (status = 400, body = Problem, description = "no refresh token, or one in the body in cookie mode"),
        (status = 401, body = Problem, description = "`invalid-token`"),
        (status = 403, body = Problem, description = "`csrf-failed` (cookie mode)"),
        (status = 429, body = Problem, description = "`rate-limited` (per session)"),
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    query: web::Query<SessionQuery>,
    peer: Peer,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let body: RefreshRequest = optional_json(&body)?;
    let mode = SessionMode::of(query.session, body.session);
    let token = match (mode, body.refresh_token) {
        (SessionMode::Body, Some(token)) => token,
        (SessionMode::Body, None) => return Err(Problem::bad_request("refresh_token is required").into()),
        (SessionMode::Cookie, Some(_)) => {
            return Err(
                Problem::bad_request("in cookie mode the refresh token is the cookie, not refresh_token").into()
            );
        }
        (SessionMode::Cookie, None) => {
            browser.check(&req)?;
            BrowserSessions::refresh_token(&req).ok_or_else(|| {
                Problem::new(Kind::Unauthenticated, "invalid-token", "the __Host-tresor_refresh cookie is missing")
            })?
        }
    };
    let device = peer.device(None);
    let (limits, ip) = (&state.rate_limits, device.ip.clone());
    let limit_session =
        |session: String| async move { Ok(limits.enforce(Limit::Refresh, &session, ip.as_deref()).await?) };
    let refreshed = state.sessions.refresh(token.trim(), &device, limit_session).await;
    match (refreshed, mode) {
        (Ok(pair), SessionMode::Cookie) => Ok(browser.respond(pair)),
        (Ok(pair), SessionMode::Body) => Ok(HttpResponse::Ok().json(PairAnswer::Body(pair))),
        (Err(error), _) => Err(error),
    }
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"all_sessions": true}))]
pub struct LogoutRequest {
    /// End every session of the user, not only this one.
    #[serde(default)]
    all_sessions: bool,
}

/// Sign out. Access tokens of the ended sessions stop working at once; the browser's session
/// cookies, if any, are dropped.
#[utoipa::path(
    tag = "identity",
    request_body(content = Option<LogoutRequest>, description = "optional"),
    responses((status = 204), (status = 401, body = Problem)),
    security(("bearer" = []))
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    user: AuthUser,
    peer: Peer,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let body: LogoutRequest = optional_json(&body)?;
    state.sessions.logout(user.user_id, user.session_id, body.all_sessions, &peer.device(None)).await?;
    let mut response = HttpResponse::NoContent().finish();
    if BrowserSessions::has_cookies(&req) {
        browser.clear_cookies(&mut response);
    }
    Ok(response)
}
