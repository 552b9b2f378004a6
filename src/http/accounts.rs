//! `/v1/accounts`: open, list and read accounts; deposits, withdrawals and history.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::client::Client;
use super::money::{MoneyBody, caller, idempotency_key, money_request, respond};
use crate::error::{ApiError, Problem};
use crate::ledger::account::{Account, AccountKind};
use crate::ledger::history;
use crate::ledger::money::Currency;
use crate::ledger::transaction::Transaction;
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccount {
    pub kind: AccountKind,
    pub currency: Currency,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub items: Vec<Account>,
    /// Always null: all of the caller's accounts fit one page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransactionPage {
    pub items: Vec<Transaction>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

fn problem(status: StatusCode, slug: &str, detail: &str) -> ApiError {
    Problem::new(status, slug, detail).into()
}

/// Opens an account; needs an approved KYC review (403 `kyc-required`).
#[utoipa::path(
    operation_id = "open_account",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = OpenAccount,
    responses(
        (status = 201, description = "opened; `Location` names it", body = Account),
        (status = 400, description = "unknown kind or currency", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`kyc-required`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/accounts")]
pub async fn open(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    body: web::Json<OpenAccount>,
) -> Result<HttpResponse, ApiError> {
    if !crate::ledger::accounts::kyc_approved(&state.db, user.user_id).await? {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "kyc-required",
            "opening an account needs an approved identity check: upload an identity document and submit KYC",
        ));
    }
    let account = state.ledger.open(&caller(&user, &client), body.kind, body.currency).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/v1/accounts/{}", account.id))).json(account))
}

/// The caller's accounts.
#[utoipa::path(
    operation_id = "list_accounts",tag = "accounts", security(("bearer" = [])), responses((status = 200, description = "the caller's accounts", body = AccountList)))]
#[get("/v1/accounts")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let items = crate::ledger::accounts::list_owned(&state.db, user.user_id).await?;
    Ok(HttpResponse::Ok().json(AccountList { items, next_cursor: None }))
}

/// One of the caller's accounts (404 when it is not theirs).
#[utoipa::path(
    operation_id = "get_account",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the account", body = Account),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.ledger.owned(&caller(&user, &client), *id).await?))
}

/// Cash in. Needs `Idempotency-Key`; a repeat with the same key and body answers the first
/// response again with `Idempotent-Replayed: true`.
#[utoipa::path(
    operation_id = "deposit",
    tag = "money",
    security(("bearer" = [])),
    request_body = MoneyBody,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 characters; one per intended effect")),
    responses(
        (status = 201, description = "the transaction", body = Transaction),
        (status = 400, description = "bad amount, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit-exceeded`, `account-closed`, `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/accounts/{id}/deposits")]
pub async fn deposit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    client: Client,
    id: web::Path<Uuid>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req, &user, &*body)?;
    let body = body.into_inner();
    let request = money_request(body.amount, body.description)?;
    let outcome = state.ledger.deposit(&caller(&user, &client), *id, request, Some(key)).await?;
    Ok(respond(outcome, *id))
}

/// Cash out; 422 `insufficient-funds` when the balance does not cover it.
#[utoipa::path(
    operation_id = "withdraw",
    tag = "money",
    security(("bearer" = [])),
    request_body = MoneyBody,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 characters; one per intended effect")),
    responses(
        (status = 201, description = "the transaction", body = Transaction),
        (status = 400, description = "bad amount, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`insufficient-funds`, `limit-exceeded`, `account-frozen`, `account-closed`, `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/accounts/{id}/withdrawals")]
pub async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    client: Client,
    id: web::Path<Uuid>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req, &user, &*body)?;
    let body = body.into_inner();
    let request = money_request(body.amount, body.description)?;
    let outcome = state.ledger.withdraw(&caller(&user, &client), *id, request, Some(key)).await?;
    Ok(respond(outcome, *id))
}

/// The account's transactions, newest first.
#[utoipa::path(
    operation_id = "list_transactions",
    tag = "money",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "a page of transactions", body = TransactionPage),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}/transactions")]
pub async fn transactions(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let account = state.ledger.owned(&caller(&user, &client), *id).await?;
    let limit = match query.limit {
        None => 50,
        Some(limit @ 1..=200) => limit,
        Some(_) => return Err(Problem::bad_request("limit must be between 1 and 200").into()),
    };
    let cursor = match &query.cursor {
        None => None,
        Some(raw) => {
            Some(raw.parse::<i64>().map_err(|_| Problem::bad_request("cursor is not one this server issued"))?)
        }
    };
    let page = history::page(&state.db, account.id, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(TransactionPage { items: page.items, next_cursor: page.next_cursor }))
}

/// One transaction of the account (the `Location` of a created one).
#[utoipa::path(
    operation_id = "get_transaction",
    tag = "money",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the transaction", body = Transaction),
        (status = 404, description = "no such transaction on the caller's account", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}/transactions/{transaction_id}")]
pub async fn transaction(
    state: web::Data<AppState>,
    user: AuthUser,
    client: Client,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, transaction) = path.into_inner();
    let account = state.ledger.owned(&caller(&user, &client), id).await?;
    let found =
        history::one(&state.db, account.id, transaction).await?.ok_or_else(|| Problem::not_found("transaction"))?;
    Ok(HttpResponse::Ok().json(found))
}
