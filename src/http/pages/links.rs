//! `GET|POST /verify-email`, `/reset-password`, `/accept-invite`: the pages the links in emails
//! open. `GET` never uses the token (mail scanners open links too): it shows the form, or the
//! state the link is in (used, expired, not valid). The form posts back to the same path, with
//! the CSRF token of the browser-session mechanism, and the page calls the same service as the
//! API (`POST /v1/auth/verify-email`, `/password/reset`, `/invite/accept`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::{html, templates};
use crate::error::Error;
use crate::http::browser_session::BrowserSessions;
use crate::http::peer::Peer;
use crate::identity::users::{LinkPurpose, LinkState};
use crate::state::AppState;

/// The three pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    VerifyEmail,
    ResetPassword,
    AcceptInvite,
}

impl Page {
    fn path(self) -> &'static str {
        match self {
            Self::VerifyEmail => "/verify-email",
            Self::ResetPassword => "/reset-password",
            Self::AcceptInvite => "/accept-invite",
        }
    }

    fn purpose(self) -> LinkPurpose {
        match self {
            Self::VerifyEmail => LinkPurpose::VerifyEmail,
            Self::ResetPassword => LinkPurpose::PasswordReset,
            Self::AcceptInvite => LinkPurpose::Invite,
        }
    }

    fn takes_password(self) -> bool {
        self != Self::VerifyEmail
    }

    fn title(self) -> &'static str {
        match self {
            Self::VerifyEmail => "Confirm your email address",
            Self::ResetPassword => "Choose a new password",
            Self::AcceptInvite => "Set your password",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            Self::VerifyEmail => "Confirm that this email address is yours to finish opening your account.",
            Self::ResetPassword => "Choose a new password. Every device signed in to your account will be signed out.",
            Self::AcceptInvite => "You were invited to tresor. Choose the password you will sign in with.",
        }
    }

    fn button(self) -> &'static str {
        match self {
            Self::VerifyEmail => "Confirm my email address",
            Self::ResetPassword => "Change my password",
            Self::AcceptInvite => "Set my password",
        }
    }

    /// The words for a finished flow or a link that cannot be used, and what to do next.
    fn words(self, outcome: Outcome) -> (&'static str, &'static str) {
        match (outcome, self) {
            (Outcome::Done, Self::VerifyEmail) => ("Your email address is confirmed.", "You can sign in now."),
            (Outcome::Done, Self::ResetPassword) => {
                ("Your password was changed.", "Every session was signed out. Sign in with the new password.")
            }
            (Outcome::Done, Self::AcceptInvite) => ("Your password is set.", "You can sign in now."),
            (Outcome::Used, Self::VerifyEmail) => {
                ("This link was already used.", "Your address is probably confirmed already: try signing in.")
            }
            (Outcome::Used, Self::ResetPassword) => {
                ("This link was already used.", "If you still need to, ask for a new password reset link.")
            }
            (Outcome::Used, Self::AcceptInvite) => {
                ("This invitation was already used.", "Your password is probably set already: try signing in.")
            }
            (Outcome::Expired, Self::VerifyEmail) => {
                ("This link has expired.", "Register again with the same address to get a new link.")
            }
            (Outcome::Expired, Self::ResetPassword) => {
                ("This link has expired.", "Ask for a new password reset link; each one works for a short time only.")
            }
            (Outcome::Expired, Self::AcceptInvite) => {
                ("This invitation has expired.", "Ask the person who invited you to send a new invitation.")
            }
            (Outcome::Invalid, _) => (
                "This link is not valid.",
                "Check that you opened the whole link from the email; links are long and some mail programs break them.",
            ),
            (Outcome::Refused, _) => (
                "This form could not be accepted.",
                "It came from another site, or the page was open too long. Open the link from your email again.",
            ),
        }
    }
}

/// How a page ends when it shows no form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Used,
    Expired,
    Invalid,
    /// The CSRF check failed.
    Refused,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Invalid => "invalid",
            Self::Refused => "refused",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Done => StatusCode::OK,
            Self::Used | Self::Expired => StatusCode::GONE,
            Self::Invalid => StatusCode::BAD_REQUEST,
            Self::Refused => StatusCode::FORBIDDEN,
        }
    }

    fn of(state: LinkState) -> Self {
        match state {
            LinkState::Used => Self::Used,
            LinkState::Expired => Self::Expired,
            // A live token the service refused is one it does not accept for this page.
            LinkState::Live | LinkState::Invalid => Self::Invalid,
        }
    }
}

/// The token, from the link's query (other parameters, e.g. a mail program's tracking, are
/// ignored).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The token from the email's link.
    token: Option<String>,
}

/// What a page's form posts.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"token": "<token from the email's link>", "csrf_token": "<from the page's form>", "password": "tr0ubadour and a lighthouse", "confirm": "tr0ubadour and a lighthouse"}))]
pub struct LinkForm {
    token: String,
    /// The CSRF token the page put in the form.
    csrf_token: String,
    /// The new password (reset, invite).
    #[schema(value_type = Option<String>)]
    password: Option<SecretString>,
    /// The new password again.
    #[schema(value_type = Option<String>)]
    confirm: Option<SecretString>,
}

/// The form of `page`; `token` `None` asks for the token in a field (a link without one).
fn form(
    page: Page,
    state: &AppState,
    browser: &BrowserSessions,
    req: &HttpRequest,
    token: Option<&str>,
    errors: &[String],
    status: StatusCode,
) -> Result<HttpResponse, Error> {
    let csrf = browser.form_token(req);
    let passwords = &state.config.settings.passwords;
    let body = templates::render(
        "link.html",
        json!({
            "title": page.title(),
            "state": if token.is_some() { "form" } else { "missing" },
            "intro": page.intro(),
            "action": page.path(),
            "token": token.unwrap_or_default(),
            "csrf": csrf.value,
            "password": page.takes_password(),
            "min_length": passwords.min_length,
            "max_length": passwords.max_length,
            "button": page.button(),
            "errors": errors,
        }),
    )?;
    Ok(html(status, body, csrf.cookie))
}

fn ended(page: Page, outcome: Outcome) -> Result<HttpResponse, Error> {
    let (message, next) = page.words(outcome);
    let body = templates::render(
        "link.html",
        json!({"title": page.title(), "state": outcome.name(), "message": message, "next": next}),
    )?;
    Ok(html(outcome.status(), body, None))
}

async fn show(
    page: Page,
    state: &AppState,
    browser: &BrowserSessions,
    req: &HttpRequest,
    query: LinkQuery,
) -> Result<HttpResponse, Error> {
    let Some(token) = query.token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return form(page, state, browser, req, None, &[], StatusCode::OK);
    };
    match state.identity.link_state(page.purpose(), &token).await? {
        LinkState::Live => form(page, state, browser, req, Some(&token), &[], StatusCode::OK),
        other => ended(page, Outcome::of(other)),
    }
}

async fn submit(
    page: Page,
    state: &AppState,
    browser: &BrowserSessions,
    req: &HttpRequest,
    peer: &Peer,
    posted: LinkForm,
) -> Result<HttpResponse, Error> {
    if browser.check_form(req, Some(&posted.csrf_token)).is_err() {
        return ended(page, Outcome::Refused);
    }
    let token = posted.token.trim().to_owned();
    let device = peer.device(None);
    let done = if page.takes_password() {
        let password = posted.password.unwrap_or_else(|| SecretString::from(String::new()));
        let confirm = posted.confirm.unwrap_or_else(|| SecretString::from(String::new()));
        if password.expose_secret().is_empty() {
            let errors = ["Enter a new password.".to_owned()];
            return form(page, state, browser, req, Some(&token), &errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
        if password.expose_secret() != confirm.expose_secret() {
            let errors = ["The two passwords are not the same.".to_owned()];
            return form(page, state, browser, req, Some(&token), &errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
        if page == Page::ResetPassword {
            state.identity.reset_password(&token, password, &device).await
        } else {
            state.identity.accept_invite(&token, password, &device).await
        }
    } else {
        state.identity.verify_email(&token, &device).await
    };
    match done {
        Ok(()) => ended(page, Outcome::Done),
        Err(Error::Rejected(problem)) if problem.slug() == "invalid-token" => {
            ended(page, Outcome::of(state.identity.link_state(page.purpose(), &token).await?))
        }
        Err(Error::Rejected(problem)) if !problem.errors.is_empty() => {
            let errors: Vec<String> = problem.errors.into_values().flatten().map(|e| sentence(&e)).collect();
            form(page, state, browser, req, Some(&token), &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => Err(error),
    }
}

/// A field message as a sentence ("is too easy to guess…" → "The password is too easy to guess….").
fn sentence(message: &str) -> String {
    let message = message.trim_end_matches('.');
    if message.starts_with(|c: char| c.is_lowercase()) {
        format!("The password {message}.")
    } else {
        format!("{message}.")
    }
}

macro_rules! page_handlers {
    ($page:expr, $path:literal, $get:ident, $post:ident, $what:literal) => {
        #[doc = concat!("The page the ", $what, " link opens: its form, or the state of the link (used, expired, not valid). HTML.")]
        #[utoipa::path(
            tag = "hosted pages",
            params(LinkQuery),
            responses(
                (status = 200, content_type = "text/html", body = String, description = "the form"),
                (status = 400, description = "the link is not valid (HTML); a query that does not parse (problem)",
                    content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
                (status = 410, content_type = "text/html", body = String, description = "the link was used or has expired"),
            )
        )]
        #[get($path)]
        pub async fn $get(
            state: web::Data<AppState>,
            browser: web::Data<BrowserSessions>,
            req: HttpRequest,
            query: web::Query<LinkQuery>,
        ) -> Result<HttpResponse, Error> {
            show($page, &state, &browser, &req, query.into_inner()).await
        }

        #[doc = concat!("The ", $what, " page's form: completes the flow (same service as the API). HTML.")]
        #[utoipa::path(
            tag = "hosted pages",
            request_body(content = LinkForm, content_type = "application/x-www-form-urlencoded"),
            responses(
                (status = 200, content_type = "text/html", body = String, description = "done"),
                (status = 400, description = "the link is not valid (HTML); a form that does not parse (problem)",
                    content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
                (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed (another site, or no CSRF cookie)"),
                (status = 410, content_type = "text/html", body = String, description = "the link was used or has expired"),
                (status = 422, content_type = "text/html", body = String, description = "the form again, saying what to fix (e.g. a weak password)"),
            )
        )]
        #[post($path)]
        pub async fn $post(
            state: web::Data<AppState>,
            browser: web::Data<BrowserSessions>,
            req: HttpRequest,
            peer: Peer,
            posted: web::Form<LinkForm>,
        ) -> Result<HttpResponse, Error> {
            submit($page, &state, &browser, &req, &peer, posted.into_inner()).await
        }
    };
}

page_handlers!(Page::VerifyEmail, "/verify-email", verify_email_page, verify_email_form, "email verification");
page_handlers!(Page::ResetPassword, "/reset-password", reset_password_page, reset_password_form, "password reset");
page_handlers!(Page::AcceptInvite, "/accept-invite", accept_invite_page, accept_invite_form, "invitation");
