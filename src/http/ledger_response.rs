//! Answering a money movement with the exact response the ledger kept (fresh or replayed).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

use crate::http::problems::PROBLEM_JSON;
use crate::ledger::command::Outcome;

/// Sends the kept response: same status, same body; `Idempotent-Replayed: true` on a replay;
/// `Location` for a created transaction.
pub fn respond(outcome: Outcome, account: uuid::Uuid) -> HttpResponse {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    let content_type = if status.is_success() { "application/json" } else { PROBLEM_JSON };
    response.insert_header((header::CONTENT_TYPE, content_type));
    if outcome.replayed {
        response.insert_header(("Idempotent-Replayed", HeaderValue::from_static("true")));
    }
    if status == StatusCode::CREATED
        && let Some(id) = serde_json::from_str::<serde_json::Value>(&outcome.body)
            .ok()
            .and_then(|b| b["id"].as_str().map(str::to_owned))
    {
        response.insert_header((header::LOCATION, format!("/v1/accounts/{account}/transactions/{id}")));
    }
    response.body(outcome.body)
}
