//! Hosted pages: the server's own HTML for the links in emails (verify your email, reset your
//! password, accept an invitation). Server-rendered from templates compiled into the binary
//! (`web/pages/`), working without JavaScript, under a strict CSP (no inline script or style:
//! one compiled-in sheet, `web/assets/`), every form CSRF-protected by the browser-session
//! mechanism (`browser_session`). The forms post to the same services as the API.

pub mod assets;
pub mod links;
pub mod passkeys;
mod templates;

use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

/// The pages load their own sheet and script and post forms to themselves; nothing else.
pub const PAGES_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML answer with the pages' CSP and referrer policy: `strict-origin` (not the API's
/// `no-referrer`) because with `no-referrer` a browser sends `Origin: null` on a form post and
/// the CSRF check could not tell the page's own origin; it still sends no path, so the token in
/// the URL never leaves in a `Referer`.
pub fn html(status: StatusCode, body: String, cookie: Option<Cookie<'static>>) -> HttpResponse {
    html_with_policy(status, body, cookie, PAGES_CSP)
}

/// [`html`] under another content security policy (a page that calls the API).
pub fn html_with_policy(
    status: StatusCode,
    body: String,
    cookie: Option<Cookie<'static>>,
    policy: &'static str,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy)))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("strict-origin")));
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    response.body(body)
}
