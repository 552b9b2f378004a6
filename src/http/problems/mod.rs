//! The domain's errors as HTTP responses. A [`Problem`] becomes `application/problem+json`
//! (RFC 9457) with its status, `Retry-After` and, for a 401, `WWW-Authenticate`; an internal
//! error is logged with its cause and answered with an opaque 500, so no SQL, stack trace or
//! secret ever reaches a client. How a capability's own refusal enum reads is in a file of its
//! own here (a `From` into [`Error`], so handlers keep using `?`).

mod documents;
mod kyc;
mod mfa;
mod rate_limit;
mod staff;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::error::{Error, Problem, internal, unavailable, unavailable_dependency};

pub const PROBLEM_JSON: &str = "application/problem+json";

pub fn status_of(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A problem with any status the HTTP layer itself answers (routing, extractors).
pub fn with_status(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
    let mut problem = Problem::new(crate::error::Kind::Invalid, slug, detail);
    problem.status = status.as_u16();
    problem
}

pub fn response(problem: &Problem) -> HttpResponse {
    let mut response = HttpResponse::build(status_of(problem));
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(seconds) = problem.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    // RFC 6750 §3: a 401 for a missing or bad bearer token says which scheme to use.
    match problem.slug() {
        "unauthenticated" => {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="tresor""#));
        }
        "invalid-token" => {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="tresor", error="invalid_token""#));
        }
        _ => {}
    }
    response.body(serde_json::to_string(problem).unwrap_or_default())
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Rejected(problem) => status_of(problem),
            Self::Internal(cause) if unavailable_dependency(cause).is_some() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Rejected(problem) => response(problem),
            Self::Internal(cause) => match unavailable_dependency(cause) {
                // A dependency restarting or unreachable: the client retries, nothing is broken here.
                Some(dependency) => {
                    tracing::warn!(error = %format!("{cause:#}"), dependency, "request failed: dependency unavailable");
                    response(&unavailable(&format!("the {dependency} is unavailable; try again shortly")))
                }
                None => {
                    tracing::error!(error = ?cause, "request failed");
                    response(&internal())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = Error::from(anyhow::anyhow!("SELECT secret FROM keys failed"));
        let response = error.error_response();
        assert_eq!(response.status(), 500);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("SELECT"));
    }
}
