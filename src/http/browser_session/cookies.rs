//! The session cookies and their attributes.

use actix_web::cookie::time::{Duration, OffsetDateTime};
use actix_web::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};

/// The refresh token (HttpOnly).
pub const REFRESH_COOKIE: &str = "__Host-tresor_refresh";
/// The CSRF token (readable by the page's scripts, which echo it).
pub const CSRF_COOKIE: &str = "__Host-tresor_csrf";
/// Where a script echoes the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Where a form echoes the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// `__Host-` cookies: Path=/, no Domain, Secure (see `BrowserSessions::new`), SameSite=Strict.
fn host_cookie(name: &'static str, value: &str, until: Option<DateTime<Utc>>, secure: bool) -> Cookie<'static> {
    let mut cookie =
        Cookie::build(name, value.to_owned()).path("/").secure(secure).same_site(SameSite::Strict).finish();
    if let Some(until) = until
        && let Ok(at) = OffsetDateTime::from_unix_timestamp(until.timestamp())
    {
        cookie.set_expires(at);
        cookie.set_max_age(Duration::seconds((until - Utc::now()).num_seconds().max(0)));
    }
    cookie
}

/// The refresh cookie; persistent until `until` when given, else a browser-session cookie.
pub fn refresh(token: &str, until: Option<DateTime<Utc>>, secure: bool) -> Cookie<'static> {
    let mut cookie = host_cookie(REFRESH_COOKIE, token, until, secure);
    cookie.set_http_only(true);
    cookie
}

/// The CSRF cookie, living as long as the refresh cookie beside it.
pub fn csrf(token: &str, until: Option<DateTime<Utc>>, secure: bool) -> Cookie<'static> {
    host_cookie(CSRF_COOKIE, token, until, secure)
}

/// An expired cookie of `name`, which makes the browser drop it.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut cookie = host_cookie(name, "", None, secure);
    cookie.set_http_only(name == REFRESH_COOKIE);
    cookie.make_removal();
    cookie
}
