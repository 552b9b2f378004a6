//! Signing in to the console: the password, then the authenticator code, then a cookie session
//! (`browser_session`); staff without a second factor sign in with the password alone and are
//! sent to enrol. The same services, rate limits and lockout as `POST /v1/auth/login` and
//! `/v1/auth/mfa`. Passkey sign-in (`POST /v1/auth/passkey/*`) will be offered on this page as
//! a second way in: its `start`/`finish` calls end in the same `BrowserSessions::set_cookies`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::guard::{TokenForm, Visitor, check_form};
use super::refusal::{ENROL, Refusal, SIGN_IN};
use super::templates;
use crate::error::Error;
use crate::http::browser_session::BrowserSessions;
use crate::http::mfa::proof;
use crate::http::pages::html;
use crate::http::peer::Peer;
use crate::identity::TokenPair;
use crate::identity::fields::Email;
use crate::identity::sessions::LoginOutcome;
use crate::identity::tokens::opaque;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "email": "ada@bank.example", "password": "tr0ubadour and a lighthouse"}))]
pub struct PasswordForm {
    /// The CSRF token the page put in the form.
    csrf_token: String,
    email: String,
    #[schema(value_type = String)]
    password: SecretString,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "mfa_token": "<from the page's form>", "code": "123456"}))]
pub struct CodeForm {
    csrf_token: String,
    /// The sign-in's MFA step, carried by the form.
    mfa_token: String,
    /// Six digits from the authenticator, or a backup code.
    code: String,
}

/// The sign-in form again (`step` `password` or `code`) with what went wrong.
fn form(
    browser: &BrowserSessions,
    req: &HttpRequest,
    step: &str,
    mfa_token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, Refusal> {
    let csrf = browser.form_token(req);
    // Passkeys sign in on the hosted passkeys page, which comes back here.
    let passkeys = req.app_data::<web::Data<AppState>>().is_some_and(|state| state.passkeys.enabled());
    let body = templates::render(
        "sign_in.html",
        json!({
            "title": "Sign in", "step": step, "mfa_token": mfa_token, "error": error, "csrf": csrf.value,
            "passkeys": passkeys,
        }),
    )?;
    Ok(html(status, body, csrf.cookie))
}

fn signed_in(browser: &BrowserSessions, pair: &TokenPair, to: &'static str) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    browser.set_cookies(&mut response, pair);
    response.insert_header((header::LOCATION, to)).finish()
}

/// A refusal the sign-in form shows in its own words (wrong password, locked, too many tries):
/// its status, words and slug.
fn shown(error: Error) -> Result<(StatusCode, String, String), Refusal> {
    match error {
        Error::Rejected(problem) => {
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
            Ok((status, problem.detail.clone(), problem.slug().to_owned()))
        }
        internal => Err(internal.into()),
    }
}

/// The MFA step's refusals after which the sign-in starts again from the password.
const SIGN_IN_ENDED: [&str; 3] = ["invalid-token", "mfa-locked", "mfa-not-enabled"];

/// The console's sign-in page. HTML.
#[utoipa::path(operation_id = "console_sign_in_page", tag = "staff console",
    responses((status = 200, content_type = "text/html", body = String, description = "the email and password form")))]
#[get("/console/sign-in")]
pub async fn page(browser: web::Data<BrowserSessions>, req: HttpRequest) -> Result<HttpResponse, Refusal> {
    form(&browser, &req, "password", "", None, StatusCode::OK)
}

/// The password step: the code form, or — for staff without a second factor — a session and
/// enrolment. HTML.
#[utoipa::path(operation_id = "console_sign_in_password", tag = "staff console",
    request_body(content = PasswordForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "the authenticator code form"),
        (status = 303, description = "signed in without a second factor: to enrolment, with the session cookies"),
        (status = 400, description = "a form that does not parse", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, content_type = "text/html", body = String, description = "the form again: wrong email or password, or locked"),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed, or the email is not verified"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, content_type = "text/html", body = String, description = "the form again: too many attempts"),
    ))]
#[post("/console/sign-in")]
pub async fn password(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    peer: Peer,
    posted: web::Form<PasswordForm>,
) -> Result<HttpResponse, Refusal> {
    let posted = posted.into_inner();
    check_form(&browser, &req, &posted.csrf_token)?;
    let Ok(email) = Email::parse(&posted.email) else {
        return form(&browser, &req, "password", "", Some("Enter your email address."), StatusCode::UNAUTHORIZED);
    };
    let ip = peer.ip_text();
    let limited = async {
        state.rate_limits.enforce(Limit::LoginIp, &ip, Some(&ip)).await?;
        state.rate_limits.enforce(Limit::LoginIpEmail, &format!("{ip}|{}", email.as_str()), Some(&ip)).await?;
        state.sessions.login(&email, posted.password, &peer.device(None), false).await
    };
    match limited.await {
        Ok(LoginOutcome::MfaRequired(challenge)) => {
            form(&browser, &req, "code", &challenge.mfa_token, None, StatusCode::OK)
        }
        Ok(LoginOutcome::Tokens(pair)) => Ok(signed_in(&browser, &pair, ENROL)),
        Err(error) => {
            let (status, words, _) = shown(error)?;
            form(&browser, &req, "password", "", Some(&words), status)
        }
    }
}

/// The code step: a console session (303 to the dashboard with the session cookies), or the
/// code form again. HTML.
#[utoipa::path(operation_id = "console_sign_in_code", tag = "staff console",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "signed in: to the dashboard, with the session cookies"),
        (status = 400, description = "a form that does not parse (problem), or a code that is not six digits or a backup code (HTML)",
            content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
        (status = 401, content_type = "text/html", body = String, description = "the code form again (wrong code), or the password form (the sign-in expired or was locked)"),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed, or a wrong code"),
        (status = 409, content_type = "text/html", body = String, description = "MFA was turned off meanwhile: sign in again"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, content_type = "text/html", body = String, description = "the code form again: too many attempts"),
    ))]
#[post("/console/sign-in/code")]
pub async fn code(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    peer: Peer,
    posted: web::Form<CodeForm>,
) -> Result<HttpResponse, Refusal> {
    let posted = posted.into_inner();
    check_form(&browser, &req, &posted.csrf_token)?;
    let token = posted.mfa_token.trim().to_owned();
    let raw = posted.code.trim().to_owned();
    let attempt = async {
        let proof = if raw.contains('-') { proof(None, Some(raw)) } else { proof(Some(raw), None) }?;
        let ip = peer.ip_text();
        state.rate_limits.enforce(Limit::Mfa, &opaque::hash(&token), Some(&ip)).await?;
        Ok::<_, Error>(state.mfa.login(&token, proof, &peer.device(None)).await?)
    };
    match attempt.await {
        Ok(pair) => Ok(signed_in(&browser, &pair, "/console")),
        Err(error) => {
            let (status, words, slug) = shown(error)?;
            let ended = SIGN_IN_ENDED.contains(&slug.as_str());
            let step = if ended { "password" } else { "code" };
            form(&browser, &req, step, if ended { "" } else { &token }, Some(&words), status)
        }
    }
}

/// Signs out: the session is revoked (it leaves every session list) and the cookies cleared.
#[utoipa::path(operation_id = "console_sign_in_sign_out", tag = "staff console",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "signed out: to the sign-in page, the cookies cleared"),
        (status = 400, description = "a form that does not parse", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed; still signed in"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/console/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    who: Visitor,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let device = who.peer.device(None);
    state.sessions.logout(who.session.user_id, who.session.session_id, false, &device).await?;
    let mut response = HttpResponse::SeeOther().insert_header((header::LOCATION, SIGN_IN)).finish();
    browser.clear_cookies(&mut response);
    Ok(response)
}
