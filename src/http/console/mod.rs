//! The staff console at `/console` (docs/console.md): server-rendered pages for the back office,
//! working without JavaScript under the hosted pages' strict CSP (no inline script or style,
//! `frame-ancestors 'none'`), templates and the style sheet compiled in (`web/console/`).
//!
//! - Sign-in is the password then the authenticator code, into the one cookie-session mechanism
//!   (`browser_session`); staff without a second factor are sent to enrol first. A page request
//!   resumes the session from its cookie ([`guard`]); idle and absolute ends, revocation and
//!   sign-out are the session's own.
//! - Every form carries the session's CSRF token and must come from an allowed `Origin`
//!   (`BrowserSessions::check_form`); a refused one changes nothing.
//! - Every page and action calls the same service methods as `/v1/admin/*`, behind the same
//!   permission rule (`StaffSession::require` → `Authz::check`); the navigation and the buttons
//!   show only what the staff member may use, and the server refuses the rest regardless.

/// A console page's OpenAPI entry: HTML, or the ways a page refuses.
macro_rules! console_page {
    ($op:literal, [$($params:tt)+] [$($extra:tt)*] $item:item) => {
        #[utoipa::path(operation_id = $op, tag = "staff console", params($($params)+), responses(
            (status = 200, content_type = "text/html", body = String, description = "the page"),
            (status = 303, description = "not signed in (to the sign-in page) or no second factor yet (to enrolment)"),
            (status = 400, description = "a path or query that does not parse (problem), or a value the page refuses (HTML)",
                content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
            (status = 403, content_type = "text/html", body = String, description = "not staff, or without the permission this page needs"),
            $($extra)*
        ))]
        $item
    };
}

/// A console form's OpenAPI entry: 303 to the page that shows the change, or an HTML refusal.
macro_rules! console_action {
    ($op:literal, [] $form:ident [$($extra:tt)*] $item:item) => {
        #[utoipa::path(operation_id = $op, tag = "staff console",
            request_body(content = $form, content_type = "application/x-www-form-urlencoded"),
            responses(
                (status = 303, description = "done: to the page that shows it, with a notice (or, not signed in, to the sign-in page)"),
                (status = 400, description = "a form that does not parse (problem), or a value the form refuses (HTML)",
                    content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
                (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed (nothing changed), not staff, or without the permission"),
                (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
                $($extra)*
            ))]
        $item
    };
    ($op:literal, [$($params:tt)+] $form:ident [$($extra:tt)*] $item:item) => {
        #[utoipa::path(operation_id = $op, tag = "staff console", params($($params)+),
            request_body(content = $form, content_type = "application/x-www-form-urlencoded"),
            responses(
                (status = 303, description = "done: to the page that shows it, with a notice (or, not signed in, to the sign-in page)"),
                (status = 400, description = "a path or form that does not parse (problem), or a value the form refuses (HTML)",
                    content((String = "text/html"), (crate::error::Problem = "application/problem+json"))),
                (status = 403, content_type = "text/html", body = String, description = "the CSRF check failed (nothing changed), not staff, or without the permission"),
                (status = 413, description = "too large", body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 415, description = "not a form", body = crate::error::Problem, content_type = "application/problem+json"),
                $($extra)*
            ))]
        $item
    };
}

pub mod accounts;
pub mod approvals;
pub mod assets;
pub mod cases;
mod charts;
pub mod dashboard;
pub mod enrol;
mod guard;
pub mod kyc;
mod qr;
pub mod records;
mod refusal;
mod render;
pub mod sign_in;
mod templates;
pub mod users;
pub mod webhooks;

pub use refusal::Refusal;
