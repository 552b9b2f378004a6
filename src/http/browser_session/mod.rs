//! Browser sessions: one mechanism for cookie-mode API clients, the hosted pages and the staff
//! console (docs/browser-sessions.md).
//!
//! - The refresh token travels in `__Host-tresor_refresh` (HttpOnly, SameSite=Strict, Path=/,
//!   Secure unless the server is a development one on plain `http://`), never in a body a
//!   script could read.
//! - A CSRF token travels in `__Host-tresor_csrf` (readable by the page's own scripts, also
//!   returned in the sign-in answer for a front end on another origin); every request the
//!   refresh cookie authenticates must echo it in `X-CSRF-Token` (forms: a hidden
//!   `csrf_token` field) and come from an allowed `Origin` — the origins of the public URL, the
//!   app URL and `[server] cors_origins`. Anything else is 403 `csrf-failed` before any work.
//!
//! Handlers that open a session (password, MFA, OIDC callback, passkey) hand the token pair to
//! [`BrowserSessions::respond`] or [`BrowserSessions::redirect`]; handlers that take the refresh
//! cookie call [`BrowserSessions::check`] first.

mod cookies;
mod csrf;
mod mode;
mod origins;

pub use cookies::{CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, REFRESH_COOKIE};
pub use csrf::FormToken;
pub use mode::{SessionMode, SessionQuery};
pub use origins::Origins;

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{Error, Kind, Problem};
use crate::identity::TokenPair;

/// The settings of browser sessions, built once from the configuration and shared by every
/// worker as `web::Data<BrowserSessions>`.
#[derive(Clone, Debug)]
pub struct BrowserSessions {
    /// Cookies carry `Secure`.
    secure: bool,
    origins: Origins,
}

/// What a cookie-mode sign-in or refresh answers: the token pair without the refresh token,
/// plus the CSRF token to echo in `X-CSRF-Token`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CookieSession {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: u64,
    pub session_id: Uuid,
    /// Echo it in `X-CSRF-Token` on `POST /v1/auth/refresh?session=cookie` (also in the
    /// `__Host-tresor_csrf` cookie, for pages on the API's own origin).
    pub csrf_token: String,
}

/// A token pair as either mode answers it (for the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PairAnswer {
    Body(TokenPair),
    Cookie(CookieSession),
}

/// A password sign-in's answer in either mode, or the MFA step (for the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Outcome(crate::identity::sessions::LoginOutcome),
    Cookie(CookieSession),
}

impl BrowserSessions {
    pub fn new(config: &Config) -> Self {
        let server = &config.settings.server;
        let urls = std::iter::once(config.public_url.as_str())
            .chain(config.app_url.as_deref())
            .chain(server.cors_origins.iter().map(String::as_str));
        // `__Host-` cookies need `Secure`; browsers accept it from http://localhost and
        // 127.0.0.1 too (secure contexts). Only a development server on another plain-http host
        // goes without, and browsers then refuse the cookies: use https or a loopback address.
        let plain_http_elsewhere =
            config.public_url.starts_with("http://") && !origins::is_loopback(&config.public_url);
        let secure = config.env.is_production() || !plain_http_elsewhere;
        Self { secure, origins: Origins::new(urls) }
    }

    /// The origins cookie-authenticated requests may come from.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// The answer to a cookie-mode sign-in or refresh: 200 with [`CookieSession`], the refresh
    /// cookie and a fresh CSRF cookie.
    pub fn respond(&self, pair: TokenPair) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        let csrf_token = self.set_cookies(&mut response, &pair);
        response.json(CookieSession {
            access_token: pair.access_token,
            token_type: pair.token_type,
            expires_in: pair.expires_in,
            session_id: pair.session_id,
            csrf_token,
        })
    }

    /// A session opened by a browser navigation (OIDC callback): `303 See Other` to
    /// `location` (already checked against the allowlist by the caller) with the cookies.
    pub fn redirect(&self, pair: &TokenPair, location: &str) -> HttpResponse {
        let mut response = HttpResponse::SeeOther();
        self.set_cookies(&mut response, pair);
        response.insert_header((header::LOCATION, location.to_owned())).finish()
    }

    /// Puts the session's refresh cookie and a new CSRF cookie on `response`; returns the CSRF
    /// token. A remembered session's refresh cookie persists until the session's absolute end;
    /// any other is a browser-session cookie.
    pub fn set_cookies(&self, response: &mut HttpResponseBuilder, pair: &TokenPair) -> String {
        let persist = pair.remembered.then_some(pair.session_expires_at);
        let csrf_token = csrf::new_token();
        response.cookie(cookies::refresh(&pair.refresh_token, persist, self.secure));
        response.cookie(cookies::csrf(&csrf_token, persist, self.secure));
        csrf_token
    }

    /// Expires both cookies (sign-out, a refused cookie refresh).
    pub fn clear_cookies(&self, response: &mut HttpResponse) {
        for cookie in [cookies::removal(REFRESH_COOKIE, self.secure), cookies::removal(CSRF_COOKIE, self.secure)] {
            // Cookies built here always encode to a valid header value.
            if let Err(error) = response.add_cookie(&cookie) {
                tracing::warn!(error = %error, "could not clear a cookie");
            }
        }
    }

    /// The refresh token of the request's cookie, if it carries one.
    pub fn refresh_token(req: &HttpRequest) -> Option<String> {
        req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
    }

    /// Whether the request carries any of the session cookies.
    pub fn has_cookies(req: &HttpRequest) -> bool {
        req.cookie(REFRESH_COOKIE).is_some() || req.cookie(CSRF_COOKIE).is_some()
    }

    /// The check every request authenticated by a cookie passes before anything else: an
    /// allowed `Origin` and `X-CSRF-Token` equal to the CSRF cookie. 403 `csrf-failed`.
    pub fn check(&self, req: &HttpRequest) -> Result<(), Error> {
        let presented = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        self.check_token(req, presented)
    }

    /// [`Self::check`] for a form post: the token comes from its `csrf_token` field.
    pub fn check_form(&self, req: &HttpRequest, presented: Option<&str>) -> Result<(), Error> {
        self.check_token(req, presented)
    }

    /// The session mode a sign-in step asked for (`?session=` or the body's `session`); cookie
    /// mode also needs an allowed `Origin` when the browser sends one (403 `csrf-failed`).
    pub fn sign_in_mode(
        &self,
        req: &HttpRequest,
        query: Option<SessionMode>,
        body: Option<SessionMode>,
    ) -> Result<SessionMode, Error> {
        let mode = SessionMode::of(query, body);
        if mode == SessionMode::Cookie {
            self.check_origin_if_present(req)?;
        }
        Ok(mode)
    }

    /// A request that may open a session (cookie-mode sign-in): when it names an `Origin`,
    /// that origin must be allowed.
    pub fn check_origin_if_present(&self, req: &HttpRequest) -> Result<(), Error> {
        match req.headers().get(header::ORIGIN) {
            None => Ok(()),
            Some(origin) if origin.to_str().is_ok_and(|o| self.origins.allows(o)) => Ok(()),
            Some(_) => Err(csrf_failed("the request comes from an origin this service does not accept").into()),
        }
    }

    fn check_token(&self, req: &HttpRequest, presented: Option<&str>) -> Result<(), Error> {
        let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
        match origin {
            None => return Err(csrf_failed("the request has no Origin header").into()),
            Some(origin) if !self.origins.allows(origin) => {
                return Err(csrf_failed("the request comes from an origin this service does not accept").into());
            }
            Some(_) => {}
        }
        let cookie = req.cookie(CSRF_COOKIE);
        let expected = cookie.as_ref().map(Cookie::value);
        match (expected, presented) {
            (Some(expected), Some(presented)) if csrf::matches(expected, presented) => Ok(()),
            (None, _) => Err(csrf_failed("the CSRF cookie __Host-tresor_csrf is missing").into()),
            (Some(_), None) => Err(csrf_failed("the X-CSRF-Token header is missing").into()),
            (Some(_), Some(_)) => Err(csrf_failed("the CSRF token does not match the CSRF cookie").into()),
        }
    }

    /// The CSRF token a page's form carries: the request's CSRF cookie when it has a
    /// well-formed one, else a new one with the cookie to set.
    pub fn form_token(&self, req: &HttpRequest) -> FormToken {
        match req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()).filter(|v| csrf::well_formed(v)) {
            Some(value) => FormToken { value, cookie: None },
            None => {
                let value = csrf::new_token();
                let cookie = cookies::csrf(&value, None, self.secure);
                FormToken { value, cookie: Some(cookie) }
            }
        }
    }
}

/// 403 `csrf-failed`.
pub fn csrf_failed(detail: &str) -> Problem {
    Problem::new(
        Kind::Forbidden,
        "csrf-failed",
        format!(
            "{detail}; cookie-authenticated requests need an allowed Origin and X-CSRF-Token equal to the __Host-tresor_csrf cookie"
        ),
    )
}
