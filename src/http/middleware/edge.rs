//! The outermost layer: gives every request an id, puts the security headers and the id on
//! every response, and turns any error response that is not problem+json yet (actix's own
//! 404/405/413/415 texts, errors of inner middleware) into one. No plain-text or HTML error ever
//! leaves the server.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use super::request_id::{HEADER as REQUEST_ID, RequestId};
use crate::error::{Error, Problem, internal};
use crate::http::problems::{PROBLEM_JSON, response, status_of, with_status};

/// The API serves JSON only: nothing may load, frame or run anything.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The vendored Swagger UI needs its own scripts, styles (with inline style attributes) and the
/// data: images it draws its icons with; still nothing from another origin.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = RequestId::assign(&req);
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    // The request itself cannot be cloned here: routing needs it unshared.
    let (method, path) = (req.method().clone(), req.path().to_owned());
    match next.call(req).await {
        Ok(response) => {
            let mut response = render_as_problem(response.map_into_boxed_body()).await;
            if let Some(Error::Rejected(problem)) = response.response().error().and_then(|e| e.as_error::<Error>()) {
                refused(problem);
            }
            secure(response.headers_mut(), &id, docs);
            Ok(response)
        }
        Err(error) => {
            // An inner layer failed before a response existed; actix renders this error.
            let problem = match error.as_error::<Error>() {
                Some(Error::Rejected(problem)) => problem.clone(),
                Some(Error::Internal(cause)) => {
                    tracing::error!(error = ?cause, "request failed");
                    internal()
                }
                None => problem_for(error.as_response_error().status_code(), &method, &path, ""),
            };
            refused(&problem);
            Err(Secured { problem, id, docs }.into())
        }
    }
}

/// Counts a refusal by status and slug (`http_problems_total`; slugs are constants of the code,
/// so the label set stays small) and logs a client's mistake at debug only, by slug: a 4xx is
/// not a server warning, and a flood of bad requests must not flood the log. The problem's
/// detail and any cause stay out of it (server errors are logged with their cause where they
/// are turned into the opaque 500).
pub fn refused(problem: &Problem) {
    let status = problem.status.to_string();
    metrics::counter!("http_problems_total", "status" => status, "slug" => problem.slug().to_owned()).increment(1);
    if (400..500).contains(&problem.status) {
        tracing::debug!(status = problem.status, slug = problem.slug(), "request refused");
    }
}

/// An error response that already carries the edge's headers.
#[derive(Debug)]
struct Secured {
    problem: Problem,
    id: RequestId,
    docs: bool,
}

impl std::fmt::Display for Secured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem.detail)
    }
}

impl ResponseError for Secured {
    fn status_code(&self) -> StatusCode {
        status_of(&self.problem)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = response(&self.problem);
        secure(response.headers_mut(), &self.id, self.docs);
        response
    }
}

fn secure(headers: &mut HeaderMap, id: &RequestId, docs: bool) {
    let fixed = [
        (header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, if docs { DOCS_CSP } else { API_CSP }),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    for (name, value) in fixed {
        // A page (the hosted pages) sets its own CSP and referrer policy; everything else gets
        // the API's.
        let own = name == header::CONTENT_SECURITY_POLICY || name == header::REFERRER_POLICY;
        if !(own && headers.contains_key(&name)) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !docs {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        headers.insert(REQUEST_ID, value);
    }
}

/// A hosted page: HTML that carries the pages' own CSP (actix's own error texts never do).
fn is_page(headers: &HeaderMap) -> bool {
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let own_policy =
        |v: &HeaderValue| v == crate::http::pages::PAGES_CSP || v == crate::http::pages::passkeys::PASSKEYS_CSP;
    html && headers.get(header::CONTENT_SECURITY_POLICY).is_some_and(own_policy)
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

async fn render_as_problem(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(response.headers()) {
        return response;
    }
    // A hosted page's own error state (an expired link, a refused form) is shown as the page.
    if status.is_client_error() && is_page(response.headers()) {
        return response;
    }
    let (request, original) = response.into_parts();
    let kept: Vec<(HeaderName, HeaderValue)> = original
        .headers()
        .iter()
        .filter(|(name, _)| [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE].contains(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let text = body::to_bytes_limited(original.into_body(), 2048)
        .await
        .ok()
        .and_then(Result::ok)
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let problem = problem_for(status, request.method(), request.path(), &text);
    refused(&problem);
    let mut rendered: HttpResponse = crate::http::problems::response(&problem);
    for (name, value) in kept {
        rendered.headers_mut().insert(name, value);
    }
    ServiceResponse::new(request, rendered)
}

fn problem_for(status: StatusCode, method: &Method, path: &str, text: &str) -> Problem {
    match status {
        StatusCode::NOT_FOUND => with_status(status, "not-found", format!("no resource at {method} {path}")),
        StatusCode::METHOD_NOT_ALLOWED => {
            with_status(status, "method-not-allowed", format!("{method} is not allowed on {path}"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            with_status(status, "payload-too-large", "the request body is larger than this endpoint accepts")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => with_status(
            status,
            "unsupported-media-type",
            "the request's Content-Type is not accepted here (JSON endpoints need application/json)",
        ),
        StatusCode::TOO_MANY_REQUESTS => with_status(status, "rate-limited", "too many requests; retry later"),
        s if s.is_client_error() => {
            // actix's own client-error texts describe the input (a bad header, a CORS origin);
            // they never contain server internals.
            let detail = if text.is_empty() || *method == Method::HEAD { s.to_string() } else { text.to_owned() };
            with_status(s, "invalid-request", detail)
        }
        s if s == StatusCode::SERVICE_UNAVAILABLE => crate::error::unavailable("the service is not ready"),
        // A 5xx that did not come through Error: its text could hold anything, so drop it.
        _ => {
            tracing::error!(status = status.as_u16(), "unhandled server error response");
            internal()
        }
    }
}
