//! The one user-facing error type. Every failure a client can see is an [`ApiError`], rendered
//! as `application/problem+json` (RFC 9457). Client mistakes carry a [`Problem`] that names what
//! is wrong; anything unexpected is logged with its cause and answered with an opaque 500, so no
//! SQL, stack trace or secret ever reaches a client.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Field name → messages, for validation failures.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// A problem the client can act on: status, stable slug (part of the contract), and words.
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
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title: title_of(slug),
            status: status.as_u16(),
            detail: detail.into(),
            errors: FieldErrors::new(),
            retry_after: None,
        }
    }

    /// 400 `invalid-request`: malformed or invalid input.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid-request", detail)
    }

    /// 400 `invalid-request` naming the fields that are wrong.
    pub fn invalid_fields(errors: FieldErrors) -> Self {
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        let detail = format!("invalid value for: {}", names.join(", "));
        Self { errors, ..Self::bad_request(detail) }
    }

    /// 404 `not-found`: missing, or not the caller's (indistinguishable on purpose).
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", format!("{what} was not found"))
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        // RFC 6750 §3: a 401 for a missing or bad bearer token says which scheme to use.
        match self.kind.as_str() {
            "/problems/unauthenticated" => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="tresor""#));
            }
            "/problems/invalid-token" => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="tresor", error="invalid_token""#));
            }
            _ => {}
        }
        response.body(serde_json::to_string(self).unwrap_or_default())
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// `insufficient-funds` → `Insufficient funds`.
fn title_of(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The client's mistake, or a state the client must know about (4xx, 503).
    #[error("{} ({})", .0.detail, .0.kind)]
    Problem(Problem),
    /// Anything unexpected: logged with its cause, answered with an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

/// A job that could not be enqueued: the database's own errors keep their meaning (a busy pool
/// is 503); anything else is internal.
impl From<tresor_jobs::store::StoreError> for ApiError {
    fn from(error: tresor_jobs::store::StoreError) -> Self {
        match error {
            tresor_jobs::store::StoreError::Database(error) => error.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            // The pool is exhausted or the database is unreachable: a state, not a bug.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Problem(unavailable("the database is busy or unavailable; try again shortly"))
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

pub fn unavailable(detail: &str) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "service-unavailable", detail).with_retry_after(1)
}

pub fn internal() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal-error",
        "an unexpected error occurred; quote the X-Request-Id header when reporting it",
    )
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Problem(problem) => problem.status_code(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Problem(problem) => problem.to_response(),
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                internal().to_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_render_their_contract_fields() {
        let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "insufficient-funds", "balance 5 < 10");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "/problems/insufficient-funds");
        assert_eq!(json["title"], "Insufficient funds");
        assert_eq!(json["status"], 422);
        assert!(json.get("errors").is_none(), "empty errors are omitted");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::from(anyhow::anyhow!("SELECT secret FROM keys failed"));
        let response = error.error_response();
        assert_eq!(response.status(), 500);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("SELECT"));
    }
}
