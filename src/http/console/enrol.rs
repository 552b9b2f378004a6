//! Enrolment for staff who sign in without a second factor: the console sends them here until
//! TOTP is on (the same `Mfa::setup` and `Mfa::enable` as the API); enabling it counts as passing
//! MFA on this session, so the console opens right after.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

use super::guard::{Enrolling, TokenForm, check_form};
use super::refusal::Refusal;
use super::templates;
use crate::error::Error;
use crate::http::browser_session::BrowserSessions;
use crate::http::mfa::totp_code;
use crate::http::pages::html;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "code": "123456"}))]
pub struct EnableForm {
    csrf_token: String,
    /// Six digits from the newly set-up authenticator.
    code: String,
}

fn enrol_page(who: &Enrolling, data: serde_json::Value, status: StatusCode) -> Result<HttpResponse, Refusal> {
    let body = templates::render(
        "enrol.html",
        json!({"title": "Set up your authenticator", "csrf": who.csrf, "signout": true, "data": data}),
    )?;
    Ok(html(status, body, None))
}

/// What staff without a second factor see: why, and the button that starts TOTP set-up. HTML.
#[utoipa::path(operation_id = "console_enrol_page", tag = "staff console",
    responses(
        (status = 200, content_type = "text/html", body = String, description = "the enrolment page"),
        (status = 303, description = "not signed in: to the sign-in page"),
        (status = 403, content_type = "text/html", body = String, description = "not staff"),
    ))]
#[get("/console/enrol")]
pub async fn page(state: web::Data<AppState>, who: Enrolling) -> Result<HttpResponse, Refusal> {
    let enrolled = state.mfa.has_second_factor(who.session.user_id).await?;
    enrol_page(&who, json!({"step": if enrolled { "enrolled" } else { "start" }}), StatusCode::OK)
}

/// A new authenticator secret, shown once with the code form. HTML.
#[utoipa::path(operation_id = "console_enrol_setup", tag = "staff console",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "the secret and the code form"),
        (status = 303, description = "not signed in: to the sign-in page"),
        (status = 400, description = "a form that does not parse", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed, or not staff"),
        (status = 409, content_type = "text/html", body = String, description = "MFA is on already"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/console/enrol/setup")]
pub async fn setup(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    who: Enrolling,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let setup = state.mfa.setup(who.session.user_id, &who.peer.device(None)).await?;
    let qr = super::qr::svg_path(&setup.otpauth_uri);
    enrol_page(
        &who,
        json!({"step": "code", "secret": setup.secret, "uri": setup.otpauth_uri, "qr": qr}),
        StatusCode::OK,
    )
}

/// Turns TOTP on with a code from the new authenticator; shows the backup codes, once. HTML.
#[utoipa::path(operation_id = "console_enrol_enable", tag = "staff console",
    request_body(content = EnableForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "MFA is on: the backup codes, shown once"),
        (status = 303, description = "not signed in: to the sign-in page"),
        (status = 400, description = "a form that does not parse (problem), or a code that is not six digits (HTML)",
            content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
        (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed, a wrong code, or not staff"),
        (status = 409, content_type = "text/html", body = String, description = "set-up not started, or MFA on already"),
        (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/console/enrol")]
pub async fn enable(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    who: Enrolling,
    posted: web::Form<EnableForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let session = who.session;
    let enabled = async {
        let code = totp_code(&posted.code)?;
        Ok::<_, Error>(state.mfa.enable(session.user_id, session.session_id, code, &who.peer.device(None)).await?)
    };
    match enabled.await {
        Ok(codes) => enrol_page(&who, json!({"step": "done", "backup_codes": codes}), StatusCode::OK),
        Err(Error::Rejected(problem)) => Err(Refusal::Refused(problem)),
        Err(internal) => Err(internal.into()),
    }
}
