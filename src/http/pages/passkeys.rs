//! `GET /passkeys`: the page that runs passkey ceremonies in the browser (WebAuthn is a script
//! API; a relying party's page on its own origin must call it), with its compiled-in script.
//! Same CSP as the other hosted pages plus `connect-src 'self'` for the JSON API.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::templates;
use crate::error::Error;
use crate::state::AppState;

const JS: &str = include_str!("../../../web/assets/passkeys.js");

/// The hosted pages' policy, plus calls to this origin's API.
pub const PASSKEYS_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sign in with a passkey, or add one to the signed-in account (cookie session).
#[utoipa::path(
    operation_id = "passkeys_page",
    tag = "hosted pages",
    responses((status = 200, content_type = "text/html", body = String))
)]
#[get("/passkeys")]
pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let body = templates::render("passkeys.html", json!({"title": "Passkeys", "enabled": state.passkeys.enabled()}))?;
    Ok(super::html_with_policy(StatusCode::OK, body, None, PASSKEYS_CSP))
}

/// The passkeys page's script.
#[utoipa::path(
    operation_id = "passkeys_js",
    tag = "hosted pages",
    responses((status = 200, content_type = "text/javascript", body = String))
)]
#[get("/assets/passkeys.js")]
pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")))
        .body(JS)
}
