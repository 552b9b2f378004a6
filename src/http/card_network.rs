//! `/v1/card-network/*`: what the card network calls — authorizations, captures, releases —
//! authenticated by the network's key (`[cards] network_api_key`; unset, these paths answer
//! 404). Declines are 201 `declined`, never 4xx: networks treat 4xx as errors.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::idempotency::{HEADER, parse_key};
use super::ledger_response::respond;
use crate::cards::network::{AuthorizationRequest, Merchant};
use crate::error::{Error, Kind, Problem};
use crate::ledger::command::{Idempotency, Outcome};
use crate::ledger::idempotency::scoped;
use crate::ledger::money::{Amount, Currency};
use crate::ledger::transaction::Transaction;
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantBody {
    /// Up to 100 characters.
    pub name: String,
    /// The merchant category code: 4 digits.
    pub mcc: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pan": "4000001234567899", "expiry_month": 12, "expiry_year": 2029, "cvv": "123", "amount": 1999, "currency": "USD", "merchant": {"name": "Coffee Shop", "mcc": "5814", "country": "US"}}))]
pub struct AuthorizationBody {
    pub pan: String,
    pub expiry_month: u32,
    pub expiry_year: i32,
    pub cvv: String,
    pub amount: Amount,
    pub currency: Currency,
    pub merchant: MerchantBody,
}

/// The answer to an authorization.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizationAnswer {
    /// The authorization (and its hold) id; a declined one has an id too, that names nothing.
    pub id: Uuid,
    /// `approved` or `declined`.
    pub status: String,
    /// `insufficient-funds`, `card-frozen`, `account-frozen`, `card-closed`, `card-expired`,
    /// `invalid-card`, `limit-exceeded` or `currency-mismatch`.
    pub decline_reason: Option<String>,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 1999}))]
pub struct CaptureBody {
    /// At most the authorized amount; less releases the rest.
    pub amount: Amount,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"authorization_id": "0190b5a2-6c1e-7a3c-9a4e-2f1d3c4b5a69", "amount": 500}))]
pub struct RefundBody {
    /// A captured authorization.
    pub authorization_id: Uuid,
    /// At most what was captured less what was refunded before.
    pub amount: Amount,
}

/// The answer to a release.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReleaseAnswer {
    pub id: Uuid,
    /// `released`.
    pub status: String,
}

/// The network's key checked (404 while none is configured, 401 for a wrong one), and the
/// request's `Idempotency-Key` scoped to the network and fingerprinted with the request.
fn network(state: &AppState, req: &HttpRequest) -> Result<(), Error> {
    if !state.cards.network_enabled() {
        let detail = format!("no resource at {} {}", req.method(), req.path());
        return Err(Problem::new(Kind::NotFound, "not-found", detail).into());
    }
    let offered = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !state.cards.network_key_matches(offered) {
        return Err(Problem::new(
            Kind::Unauthenticated,
            "invalid-network-key",
            "the card network's key is missing or wrong",
        )
        .into());
    }
    Ok(())
}

/// The JSON body, parsed only once the caller is known to be the network.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("the JSON body does not match this endpoint: {e}")).into())
}

fn network_key(req: &HttpRequest, body: &impl Serialize) -> Result<Idempotency, Error> {
    let raw = req.headers().get(HEADER).map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = parse_key(raw)?;
    Ok(scoped(Uuid::nil(), &format!("card-network:{key}"), req.method().as_str(), req.path(), body))
}

fn answer(outcome: Outcome) -> HttpResponse {
    let mut response = respond(outcome, Uuid::nil());
    response.headers_mut().remove(header::LOCATION);
    response
}

fn text(field: &str, value: String, max: usize, ok: impl Fn(&str) -> bool) -> Result<String, Error> {
    let value = value.trim().to_owned();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) || !ok(&value) {
        let mut errors = crate::error::FieldErrors::new();
        errors.insert(field.into(), vec![format!("not a valid {field}")]);
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(value)
}

/// Authorizes a card purchase: approved, it holds the amount on the card's account.
#[utoipa::path(
    operation_id = "authorize_card",
    tag = "card-network",
    security(("network_key" = [])),
    request_body = AuthorizationBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per authorization")),
    responses(
        (status = 201, description = "approved or declined (with its reason)", body = AuthorizationAnswer),
        (status = 400, description = "malformed input, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid-network-key`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "the card-network endpoints are off (no key configured)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/card-network/authorizations")]
pub async fn authorize(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, Error> {
    network(&state, &req)?;
    let body: AuthorizationBody = json_body(&body)?;
    let key = network_key(&req, &body)?;
    let AuthorizationBody { pan, expiry_month, expiry_year, cvv, amount, currency, merchant } = body;
    let merchant = Merchant {
        name: text("merchant.name", merchant.name, 100, |_| true)?,
        mcc: text("merchant.mcc", merchant.mcc, 4, |m| m.len() == 4 && m.bytes().all(|b| b.is_ascii_digit()))?,
        country: text("merchant.country", merchant.country, 2, |c| {
            c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())
        })?,
    };
    if !(1..=12).contains(&expiry_month) {
        return Err(Problem::bad_request("expiry_month must be 1 to 12").into());
    }
    let request = AuthorizationRequest { pan, expiry_month, expiry_year, cvv, amount, currency, merchant };
    Ok(answer(state.cards.authorize(request, key).await?))
}

/// Captures an authorization: posts the amount (kind `card`) and releases the rest.
#[utoipa::path(
    operation_id = "capture_card_authorization",
    tag = "card-network",
    security(("network_key" = [])),
    request_body = CaptureBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per capture")),
    responses(
        (status = 201, description = "the posted transaction", body = Transaction),
        (status = 400, description = "malformed input, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid-network-key`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such authorization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`hold-not-open`: captured, released or expired already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`amount-exceeds-hold`, `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/card-network/authorizations/{id}/capture")]
pub async fn capture(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    network(&state, &req)?;
    let body: CaptureBody = json_body(&body)?;
    let key = network_key(&req, &body)?;
    Ok(answer(state.cards.capture(*id, body.amount, key).await?))
}

/// Releases an authorization without posting anything.
#[utoipa::path(
    operation_id = "release_card_authorization",
    tag = "card-network",
    security(("network_key" = [])),
    responses(
        (status = 200, description = "released", body = ReleaseAnswer),
        (status = 401, description = "`invalid-network-key`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such authorization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`hold-not-open`: captured, released or expired already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/card-network/authorizations/{id}/release")]
pub async fn release(state: web::Data<AppState>, req: HttpRequest, id: web::Path<Uuid>) -> Result<HttpResponse, Error> {
    network(&state, &req)?;
    Ok(answer(state.cards.release(*id).await?))
}

/// Refunds part or all of a captured purchase: a credit to the card's account.
#[utoipa::path(
    operation_id = "refund_card_purchase",
    tag = "card-network",
    security(("network_key" = [])),
    request_body = RefundBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per refund")),
    responses(
        (status = 201, description = "the posted credit", body = Transaction),
        (status = 400, description = "malformed input, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid-network-key`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such authorization", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`refund-exceeds-capture`, `account-closed`, `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/card-network/refunds")]
pub async fn refund(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, Error> {
    network(&state, &req)?;
    let body: RefundBody = json_body(&body)?;
    let key = network_key(&req, &body)?;
    Ok(answer(state.cards.refund(body.authorization_id, body.amount, key).await?))
}
