//! The ledger's refusals as problems (their slugs are part of the contract).

use crate::error::{Kind, Problem};

/// 422: the request is well-formed but the ledger refuses it.
pub fn unprocessable(slug: &str, detail: String) -> Problem {
    Problem::new(Kind::Unprocessable, slug, detail)
}

/// 403: the caller must do something first (e.g. step up with MFA).
pub fn forbidden(slug: &str, detail: String) -> Problem {
    Problem::new(Kind::Forbidden, slug, detail)
}

/// 409: the state of what the request names does not allow it (already reversed, decided).
pub fn conflict(slug: &str, detail: String) -> Problem {
    Problem::new(Kind::Conflict, slug, detail)
}
