//! The ledger's refusals as problems, built from the status number so the domain does not name
//! the web framework's status type. (The error sweep replaces these with domain errors.)

use crate::error::Problem;

/// `status`, `/problems/<slug>` and its title, as `Problem::new` builds them.
fn with_status(status: u16, slug: &str, detail: String) -> Problem {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    let title = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    Problem { kind: format!("/problems/{slug}"), title, status, ..Problem::bad_request(detail) }
}

/// 422: the request is well-formed but the ledger refuses it.
pub fn unprocessable(slug: &str, detail: String) -> Problem {
    with_status(422, slug, detail)
}

/// 403: the caller must do something first (e.g. step up with MFA).
pub fn forbidden(slug: &str, detail: String) -> Problem {
    with_status(403, slug, detail)
}
