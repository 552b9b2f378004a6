//! `POST /v1/transfers`: money from one of the caller's accounts to any account by number.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::idempotency::idempotency_key;
use super::ledger_request::{caller, money_request};
use super::ledger_response::respond;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::ledger::money::Amount;
use crate::ledger::transaction::Transaction;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from_account_id": "0190b5a2-6c1e-7a3c-9a4e-2f1d3c4b5a69", "to_account_number": "1234-5678-9012", "amount": 1250, "description": "rent"}))]
pub struct TransferBody {
    pub from_account_id: Uuid,
    /// 12 digits; spaces and dashes are ignored. The check digits catch typos (422).
    pub to_account_number: String,
    pub amount: Amount,
    /// Up to 140 characters, shown to both sides.
    pub description: Option<String>,
}

/// Moves money between accounts. Needs `Idempotency-Key`. Above the step-up threshold the
/// session must have passed MFA (403 `mfa-step-up-required`).
#[utoipa::path(
    operation_id = "create_transfer",
    tag = "money",
    security(("bearer" = [])),
    request_body = TransferBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per intended effect")),
    responses(
        (status = 201, description = "the transaction, as the source account sees it", body = Transaction),
        (status = 400, description = "bad amount, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`mfa-step-up-required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "the source is not one of the caller's accounts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`insufficient-funds`, `limit-exceeded`, `currency-mismatch`, `same-account`, `invalid-account-number`, `account-not-found`, `account-frozen`, `account-closed`, `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate-limited`; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/transfers")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    peer: Peer,
    body: web::Json<TransferBody>,
) -> Result<HttpResponse, Error> {
    state.rate_limits.enforce(Limit::Transfers, &user.user_id.to_string(), Some(&peer.ip_text())).await?;
    let key = idempotency_key(&req, &user, &*body)?;
    let TransferBody { from_account_id, to_account_number, amount, description } = body.into_inner();
    let request = money_request(amount, description)?;
    // Above its threshold, the ledger asks the step-up rule about this session.
    let caller = caller(&user, &peer);
    let outcome = state.ledger.transfer(&caller, from_account_id, &to_account_number, request, Some(key)).await?;
    Ok(respond(outcome, from_account_id))
}
