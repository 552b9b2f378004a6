//! What the money-moving handlers share: the caller, the `Idempotency-Key`, and answering with
//! the exact response the ledger kept (fresh or replayed).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::authn::AuthUser;
use super::client::Client;
use crate::audit::Actor;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::ledger::command::{Idempotency, Outcome};
use crate::ledger::idempotency;
use crate::ledger::money::Amount;
use crate::ledger::service::{Caller, MoneyRequest};

/// `{amount, description?}` for deposits and withdrawals.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyBody {
    pub amount: Amount,
    /// Up to 140 characters, shown in the history.
    pub description: Option<String>,
}

pub fn description(raw: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(text) = raw.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()) else { return Ok(None) };
    if text.chars().count() > 140 || text.chars().any(char::is_control) {
        let mut errors = crate::error::FieldErrors::new();
        errors.insert("description".into(), vec!["at most 140 characters, no control characters".into()]);
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(Some(text))
}

pub fn money_request(amount: Amount, text: Option<String>) -> Result<MoneyRequest, ApiError> {
    Ok(MoneyRequest { amount, description: description(text)? })
}

pub fn caller(user: &AuthUser, client: &Client) -> Caller {
    Caller {
        user_id: user.user_id,
        mfa: user.mfa,
        actor: Actor {
            user_id: Some(user.user_id),
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client.user_agent.clone(),
        },
    }
}

/// The request's `Idempotency-Key`, scoped to the caller and fingerprinted with the request.
pub fn idempotency_key(req: &HttpRequest, user: &AuthUser, body: &impl Serialize) -> Result<Idempotency, ApiError> {
    let raw = req.headers().get(idempotency::HEADER).map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = idempotency::parse_key(raw)?;
    Ok(idempotency::scoped(user.user_id, &key, req.method().as_str(), req.path(), body))
}

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
