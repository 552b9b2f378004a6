//! How a console request ends when it cannot go on: to the sign-in or enrolment page, or a page
//! saying why (the domain's refusal in words, with its status). Never problem+json, never data.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::templates;
use crate::error::{Error, Problem};
use crate::http::pages::html;

/// Where the console sends a browser that is not signed in.
pub const SIGN_IN: &str = "/console/sign-in";
/// Where it sends staff without a second factor.
pub const ENROL: &str = "/console/enrol";

#[derive(Debug)]
pub enum Refusal {
    /// No live console session: 303 to the sign-in page.
    SignIn,
    /// Staff without MFA: 303 to enrolment.
    Enrol,
    /// Signed in, but not staff: 403 and nothing else.
    NotStaff,
    /// The CSRF check failed: 403, nothing changed.
    Forged,
    /// The domain refused (a permission, a rule, a missing thing): its status and words.
    Refused(Problem),
    /// Logged; an opaque 500.
    Internal(Error),
}

impl<E: Into<Error>> From<E> for Refusal {
    fn from(error: E) -> Self {
        match error.into() {
            Error::Rejected(problem) => Self::Refused(problem),
            internal => Self::Internal(internal),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn => f.write_str("not signed in to the console"),
            Self::Enrol => f.write_str("MFA enrolment needed"),
            Self::NotStaff => f.write_str("not staff"),
            Self::Forged => f.write_str("csrf check failed"),
            Self::Refused(problem) => f.write_str(&problem.detail),
            Self::Internal(error) => write!(f, "{error}"),
        }
    }
}

fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A page that says why, with the console's CSP.
pub fn explain(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    match templates::render("refused.html", json!({"title": title, "message": message, "status": status.as_u16()})) {
        Ok(body) => html(status, body, None),
        Err(error) => error.error_response(),
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn | Self::Enrol => StatusCode::SEE_OTHER,
            Self::NotStaff | Self::Forged => StatusCode::FORBIDDEN,
            Self::Refused(problem) => StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST),
            Self::Internal(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn => redirect(SIGN_IN),
            Self::Enrol => redirect(ENROL),
            Self::NotStaff => explain(
                StatusCode::FORBIDDEN,
                "Staff only",
                "The console is for the bank's staff. Your account has no staff role. \
                 Close this window to end your visit.",
            ),
            Self::Forged => explain(
                StatusCode::FORBIDDEN,
                "Not accepted",
                "This form came from another site, or its page was open too long. Nothing was changed. \
                 Open the page again and retry.",
            ),
            Self::Refused(problem) => {
                let mut words = problem.detail.clone();
                for (field, messages) in &problem.errors {
                    for message in messages {
                        words.push_str(&format!("; {field} {message}"));
                    }
                }
                explain(self.status_code(), "Not done", &words)
            }
            Self::Internal(error) => error.error_response(),
        }
    }
}
