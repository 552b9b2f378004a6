//! The domain's one error type. A capability answers a request it cannot serve with
//! [`Error::Rejected`] carrying a [`Problem`]: what kind of refusal it is ([`Kind`]), a stable
//! slug that names it (part of the contract), and words for a person; anything unexpected is
//! [`Error::Internal`], whose cause is logged and never shown. The domain knows nothing of
//! HTTP: `src/http/problems/` renders a problem as `application/problem+json` (RFC 9457) and
//! an internal error as an opaque 500.

use std::collections::BTreeMap;

use serde::Serialize;

/// Field name → messages, for validation failures.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// What kind of refusal a problem is. Each kind is answered with one status code; the number
/// belongs to the contract (and to the responses saved under idempotency keys, which a replay
/// sends again byte for byte), so the domain keeps it next to the kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The input is malformed or invalid (400).
    Invalid,
    /// No valid credentials (401).
    Unauthenticated,
    /// The caller is known but may not do this (403).
    Forbidden,
    /// Missing, or not the caller's: indistinguishable on purpose (404).
    NotFound,
    /// The method does not apply to the resource (405).
    MethodNotAllowed,
    /// The resource's state does not allow this now (409).
    Conflict,
    /// The body is larger than allowed (413).
    TooLarge,
    /// The body is not of a type this accepts (415).
    UnsupportedType,
    /// Well-formed, but the rules refuse it (422).
    Unprocessable,
    /// Too many requests; retry later (429).
    RateLimited,
    /// Something went wrong that the caller cannot fix (500).
    Internal,
    /// A dependency is busy or down; retry shortly (503).
    Unavailable,
}

impl Kind {
    /// The status code this kind is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::Invalid => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::TooLarge => 413,
            Self::UnsupportedType => 415,
            Self::Unprocessable => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

/// A problem the caller can act on: its kind, stable slug and words, in the RFC 9457 document
/// shape (`type`, `title`, `status`, `detail`, `errors`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/<slug>`; the slugs are part of the API contract.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(kind: Kind, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title: title_of(slug),
            status: kind.status(),
            detail: detail.into(),
            errors: FieldErrors::new(),
            retry_after: None,
        }
    }

    /// `invalid-request`: malformed or invalid input.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, "invalid-request", detail)
    }

    /// `invalid-request` naming the fields that are wrong.
    pub fn invalid_fields(errors: FieldErrors) -> Self {
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        let detail = format!("invalid value for: {}", names.join(", "));
        Self { errors, ..Self::bad_request(detail) }
    }

    /// `not-found`: missing, or not the caller's (indistinguishable on purpose).
    pub fn not_found(what: &str) -> Self {
        Self::new(Kind::NotFound, "not-found", format!("{what} was not found"))
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The slug alone (`insufficient-funds`).
    pub fn slug(&self) -> &str {
        self.kind.strip_prefix("/problems/").unwrap_or(&self.kind)
    }
}

/// `insufficient-funds` → `Insufficient funds`.
fn title_of(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's mistake, or a state the caller must know about.
    #[error("{} ({})", .0.detail, .0.kind)]
    Rejected(Problem),
    /// Anything unexpected: logged with its cause, answered opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Rejected(problem)
    }
}

/// A job that could not be enqueued: the database's own errors keep their meaning (a busy pool
/// is 503); anything else is internal.
impl From<tresor_jobs::store::StoreError> for Error {
    fn from(error: tresor_jobs::store::StoreError) -> Self {
        match error {
            tresor_jobs::store::StoreError::Database(error) => error.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match error {
            // The pool is exhausted or the database is unreachable: a state, not a bug.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Rejected(unavailable("the database is busy or unavailable; try again shortly"))
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

pub fn unavailable(detail: &str) -> Problem {
    Problem::new(Kind::Unavailable, "service-unavailable", detail).with_retry_after(1)
}

pub fn internal() -> Problem {
    Problem::new(
        Kind::Internal,
        "internal-error",
        "an unexpected error occurred; quote the X-Request-Id header when reporting it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_render_their_contract_fields() {
        let problem = Problem::new(Kind::Unprocessable, "insufficient-funds", "balance 5 < 10");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "/problems/insufficient-funds");
        assert_eq!(json["title"], "Insufficient funds");
        assert_eq!(json["status"], 422);
        assert!(json.get("errors").is_none(), "empty errors are omitted");
    }
}
