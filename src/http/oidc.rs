//! `GET /v1/auth/oidc/{provider}/start`, `/callback`, `POST /v1/auth/oidc/link`: sign-in with an
//! OpenID Connect provider. The callback is a browser navigation, so it answers in cookie mode:
//! a session is the refresh cookie and a 303 to `redirect_to`; a step still to take (the MFA
//! code, the password that links an existing account) goes to `redirect_to` in the URL
//! *fragment* (`#mfa_token=…` / `#link_token=…`), which browsers never send to a server nor put
//! in a `Referer`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::browser_session::{BrowserSessions, PairAnswer, SessionMode, SessionQuery};
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::federation::{Callback, SignIn, redirect_not_allowed};
use crate::identity::sessions::MfaChallenge;
use crate::state::AppState;

/// Longest `redirect_to` accepted.
const MAX_REDIRECT: usize = 2048;

/// `redirect_to` when it is on one of the allowed origins (the cookie sessions' allowlist).
pub fn allowed_redirect(browser: &BrowserSessions, redirect_to: &str) -> Result<String, Error> {
    let redirect_to = redirect_to.trim();
    if redirect_to.len() <= MAX_REDIRECT && browser.origins().allows_url(redirect_to) {
        Ok(redirect_to.to_owned())
    } else {
        Err(redirect_not_allowed())
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// Where the browser goes once signed in: an absolute URL on an allowed origin (the public
    /// URL's, the app URL's or one of `[server] cors_origins`).
    redirect_to: String,
}

/// Start signing in with a provider: 302 to its authorization page (state, nonce, PKCE S256).
#[utoipa::path(
    tag = "identity",
    operation_id = "oidc_start",
    params(("provider" = String, Path, description = "a name from `[oidc.providers]`"), StartQuery),
    responses(
        (status = 302, description = "to the provider; `Location` is its authorization URL"),
        (status = 400, body = Problem, description = "`redirect_to` is not on an allowed origin"),
        (status = 404, body = Problem, description = "no such provider"),
        (status = 503, body = Problem, description = "`oidc-provider-unavailable`"),
    )
)]
#[get("/v1/auth/oidc/{provider}/start")]
pub async fn start(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, Error> {
    let redirect_to = allowed_redirect(&browser, &query.redirect_to)?;
    let url = state.federation.start(&provider, &redirect_to, None).await?;
    Ok(HttpResponse::Found().insert_header(("Location", url)).finish())
}

/// What the provider adds to the callback URL (other parameters, such as `iss`, are ignored).
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// An authorization error (`access_denied`, …).
    error: Option<String>,
}

/// An answer of `POST /v1/auth/oidc/link`: a session (in the mode asked for) or the MFA step.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LinkAnswer {
    Session(PairAnswer),
    MfaRequired(MfaChallenge),
}

/// `location` with `fragment` in place of any fragment it had.
fn with_fragment(location: &str, fragment: &str) -> String {
    let base = location.split_once('#').map_or(location, |(base, _)| base);
    format!("{base}#{fragment}")
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// The callback's answer: always a 303 back to `redirect_to`.
fn navigate(browser: &BrowserSessions, outcome: SignIn) -> HttpResponse {
    match outcome {
        SignIn::Session { pair, redirect_to } => browser.redirect(&pair, &redirect_to),
        SignIn::Mfa { challenge, redirect_to } => {
            let fragment = format!("mfa_token={}&expires_in={}", challenge.mfa_token, challenge.expires_in);
            see_other(&with_fragment(&redirect_to, &fragment))
        }
        SignIn::LinkRequired { link_token, expires_in, redirect_to } => {
            let fragment = format!("link_token={}&expires_in={expires_in}", link_token.expose_secret());
            see_other(&with_fragment(&redirect_to, &fragment))
        }
        SignIn::Linked { redirect_to } => see_other(&redirect_to),
    }
}

/// The provider's redirect back: code exchange and ID-token checks, then a session, the MFA
/// step, or — for an existing account with this address — the password proof that links it.
#[utoipa::path(
    tag = "identity",
    operation_id = "oidc_callback",
    params(("provider" = String, Path), CallbackQuery),
    responses(
        (status = 303, description = "back to `redirect_to`: signed in (the `__Host-tresor_refresh` and `__Host-tresor_csrf` cookies are set; `POST /v1/auth/refresh?session=cookie` gives the access token), or with `#mfa_token=…&expires_in=…` (finish at `POST /v1/auth/mfa`) or `#link_token=…&expires_in=…` (an account has this address: `POST /v1/auth/oidc/link`) in the fragment; a signed-in user's link is made"),
        (status = 400, body = Problem, description = "`oidc-state-invalid`: unknown, expired, used or tampered state"),
        (status = 404, body = Problem, description = "no sign-in provider of that name is configured"),
        (status = 401, body = Problem, description = "`oidc-sign-in-failed` (code exchange refused), `oidc-token-invalid` (signature, issuer, audience, nonce, expiry)"),
        (status = 403, body = Problem, description = "`oidc-email-unverified`: no account is opened for an address the provider does not vouch for"),
        (status = 409, body = Problem, description = "`oidc-link-refused`, `identity-already-linked`"),
        (status = 422, body = Problem, description = "`oidc-email-missing`"),
        (status = 503, body = Problem, description = "`oidc-provider-unavailable`"),
    )
)]
#[get("/v1/auth/oidc/{provider}/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    peer: Peer,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let callback = Callback { code: query.code.map(SecretString::from), state: query.state, error: query.error };
    let outcome = state.federation.finish(&provider, callback, &peer.device(None)).await?;
    Ok(navigate(&browser, outcome))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"link_token": "<link_token from the callback>", "password": "correct horse battery staple"}))]
pub struct LinkRequest {
    link_token: String,
    #[schema(value_type = String)]
    password: SecretString,
    /// `cookie`: the refresh token travels as the `__Host-tresor_refresh` cookie.
    session: Option<SessionMode>,
}

/// Link a provider to the existing account with its address by proving the account's password
/// once; then signed in as through the provider.
#[utoipa::path(
    tag = "identity",
    operation_id = "oidc_link",
    params(SessionQuery),
    request_body = LinkRequest,
    responses(
        (status = 200, body = LinkAnswer, description = "the session (token pair, or the cookie session), or `{mfa_required, mfa_token, expires_in}`"),
        (status = 400, body = Problem, description = "`invalid-token`: unknown, expired or used link token"),
        (status = 403, body = Problem, description = "`invalid-credentials`: wrong password"),
        (status = 409, body = Problem, description = "`identity-already-linked`"),
    )
)]
#[post("/v1/auth/oidc/link")]
pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    peer: Peer,
    query: web::Query<SessionQuery>,
    body: web::Json<LinkRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mode = browser.sign_in_mode(&req, query.session, body.session)?;
    let outcome = state.federation.complete_link(body.link_token.trim(), body.password, &peer.device(None)).await?;
    Ok(match (outcome, mode) {
        (SignIn::Session { pair, .. }, SessionMode::Cookie) => browser.respond(pair),
        (SignIn::Session { pair, .. }, SessionMode::Body) => HttpResponse::Ok().json(PairAnswer::Body(pair)),
        (SignIn::Mfa { challenge, .. }, _) => HttpResponse::Ok().json(LinkAnswer::MfaRequired(challenge)),
        // A pending link ends in a session or the MFA step; nothing else comes back from it.
        (other, _) => navigate(&browser, other),
    })
}
