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
            // The queue's Redis does not answer (restarting, unreachable): a state, not a bug.
            tresor_jobs::store::StoreError::Redis(cause) => {
                tracing::warn!(error = %cause, "job queue unavailable");
                Self::Rejected(unavailable("the job queue is unavailable; try again shortly"))
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// Redis not answering is found by [`unavailable_dependency`] and answered 503.
impl From<redis::RedisError> for Error {
    fn from(error: redis::RedisError) -> Self {
        Self::Internal(anyhow::Error::new(error))
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match error {
            // The pool is exhausted or the database is unreachable: a state, not a bug.
            error if is_connectivity(&error) => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Rejected(unavailable("the database is busy or unavailable; try again shortly"))
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Whether a database error says the database cannot be reached right now — a busy pool, a
/// broken or refused connection, a server shutting down or starting up (SQLSTATE classes 08 and
/// 57P) — rather than that a statement is wrong. Those answer 503 with `Retry-After`.
pub fn is_connectivity(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Which dependency an unexpected error says is down, if any: walks its causes for a database
/// error that [`is_connectivity`], a Redis connection failure, the document bucket not
/// answering, or a refused or broken socket.
/// The HTTP layer answers such errors 503 with `Retry-After` instead of 500.
pub fn unavailable_dependency(cause: &anyhow::Error) -> Option<&'static str> {
    cause.chain().find_map(|source| {
        if let Some(error) = source.downcast_ref::<sqlx::Error>() {
            return is_connectivity(error).then_some("database");
        }
        if let Some(error) = source.downcast_ref::<redis::RedisError>() {
            let down = error.is_io_error()
                || error.is_connection_dropped()
                || error.is_connection_refusal()
                || error.is_timeout()
                || error.is_unrecoverable_error();
            return down.then_some("redis");
        }
        if let Some(tresor_jobs::store::StoreError::Redis(_)) = source.downcast_ref::<tresor_jobs::store::StoreError>()
        {
            return Some("redis");
        }
        let io = source.downcast_ref::<std::io::Error>()?;
        // The document bucket failing after its retries (unreachable, 5xx) is a dependency down
        // too; a refused permission or a missing object is not.
        if let Some(object_store::Error::Generic { .. }) =
            io.get_ref().and_then(|e| e.downcast_ref::<object_store::Error>())
        {
            return Some("document store");
        }
        use std::io::ErrorKind::{
            BrokenPipe, ConnectionAborted, ConnectionRefused, ConnectionReset, NotConnected, TimedOut,
        };
        matches!(
            io.kind(),
            ConnectionRefused | ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected | TimedOut
        )
        .then_some("a dependency")
    })
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
