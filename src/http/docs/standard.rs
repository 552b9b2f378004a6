//! The responses every operation has by construction, added to the document in one place so an
//! endpoint cannot forget them and a new one inherits them:
//!
//! - `400` when the operation reads anything from the request (a path segment, a query
//!   parameter or a body): the extractors refuse what does not parse with `invalid-request`;
//! - `401` when the operation requires a bearer token;
//! - `413` and `415` when it takes a body: too large, or not the declared media type; `408` when
//!   the body does not arrive within `[server] body_timeout_secs`;
//! - `503` (with `Retry-After`) on every operation but the liveness probe and the metrics: the
//!   server is at its in-flight cap (`overloaded`) or a dependency does not answer
//!   (`service-unavailable`);
//! - every 4xx/5xx body is `application/problem+json` with the [`Problem`](crate::error::Problem)
//!   schema (a handler that wrote `body = Problem` declared `application/json`).
//!
//! An unsupported method on a known path answers `405` with `Allow` (see `routes::KnownRoutes`);
//! OpenAPI describes operations, not the methods a path lacks, so that one is in the prose only.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use crate::http::problems::PROBLEM_JSON;

/// Adds the standard responses to every operation and gives every problem its media type.
pub fn add(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let path_has_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let may_be_unavailable = !NEVER_UNAVAILABLE.contains(&path.as_str());
        for operation in operations(item) {
            complete_operation(operation, path_has_parameters, may_be_unavailable);
        }
    }
}

/// Paths the admission cap lets through and that touch no dependency.
const NEVER_UNAVAILABLE: [&str; 2] = ["/health/live", "/metrics"];

/// Every operation of one path, mutably.
pub fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

fn complete_operation(operation: &mut Operation, path_has_parameters: bool, may_be_unavailable: bool) {
    let reads_input = path_has_parameters
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty())
        || operation.request_body.is_some();
    if reads_input {
        ensure(
            operation,
            400,
            "`invalid-request`: a path segment, query parameter or body that does not parse or is out of range",
        );
    }
    if requires_token(operation) {
        ensure(operation, 401, "`unauthenticated` (no bearer token) or `invalid-token` (expired, revoked or forged)");
    }
    if operation.request_body.is_some() {
        ensure(operation, 413, "`payload-too-large`: the body is larger than the server accepts");
        ensure(operation, 415, "`unsupported-media-type`: the body is not of the declared media type");
        ensure(operation, 408, "`request-timeout`: the body did not arrive within the server's body timeout");
    }
    if may_be_unavailable {
        ensure(
            operation,
            503,
            "`overloaded` (the server is at its in-flight cap) or `service-unavailable` (a dependency does not \
             answer); `Retry-After` says when to try again",
        );
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.parse::<u16>().is_ok_and(|code| code >= 400);
        if let RefOr::T(response) = response
            && is_error
        {
            as_problem(response);
        }
    }
}

/// True when the operation lists a security requirement that names a scheme (an empty
/// requirement, `{}`, means "anonymous allowed").
fn requires_token(operation: &Operation) -> bool {
    let Some(requirements) = &operation.security else { return false };
    !requirements.is_empty()
        && requirements.iter().all(|requirement| {
            serde_json::to_value(requirement).is_ok_and(|value| value.as_object().is_some_and(|o| !o.is_empty()))
        })
}

fn ensure(operation: &mut Operation, status: u16, description: &str) {
    operation.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::T(problem_response(description)));
}

fn problem_response(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(PROBLEM_JSON.to_owned(), RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))));
    response
}

/// An error response's body is a problem document: `application/json` becomes
/// `application/problem+json`, and a response that names no body gets the problem schema.
fn as_problem(response: &mut Response) {
    if let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
    if response.content.is_empty() {
        response
            .content
            .insert(PROBLEM_JSON.to_owned(), RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))));
    }
}
