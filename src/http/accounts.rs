//! `/v1/accounts`: open, list and read accounts; deposits, withdrawals and history.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::idempotency::idempotency_key;
use super::ledger_request::{MoneyBody, caller, money_request};
use super::ledger_response::respond;
use super::paging::{self, PageQuery};
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::ledger::account::{Account, AccountKind};
use crate::ledger::command::Movement;
use crate::ledger::history::Range;
use crate::ledger::money::Currency;
use crate::ledger::transaction::Transaction;
use crate::state::AppState;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "checking", "currency": "EUR"}))]
pub struct OpenAccount {
    pub kind: AccountKind,
    pub currency: Currency,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub items: Vec<Account>,
    /// The `cursor` of the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// RFC 3339 time or date (YYYY-MM-DD): transactions at or after it.
    pub from: Option<String>,
    /// RFC 3339 time (inclusive) or date (that whole day).
    pub to: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransactionPage {
    pub items: Vec<Transaction>,
    pub next_cursor: Option<String>,
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
    peer: Peer,
    body: web::Json<OpenAccount>,
) -> Result<HttpResponse, Error> {
    let account = state.ledger.open_for_customer(&caller(&user, &peer), body.kind, body.currency).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/v1/accounts/{}", account.id))).json(account))
}

/// The caller's accounts.
#[utoipa::path(
    operation_id = "list_accounts",
    tag = "accounts",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "the caller's accounts, oldest first", body = AccountList),
        (status = 400, description = "bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let all = state.ledger.list(&caller(&user, &peer)).await?;
    let (items, next_cursor) = paging::page(all, &query, |account| account.id.to_string())?;
    Ok(HttpResponse::Ok().json(AccountList { items, next_cursor }))
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
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.ledger.owned(&caller(&user, &peer), *id).await?))
}

/// Cash in. Needs `Idempotency-Key`; a repeat with the same key and body answers the first
/// response again with `Idempotent-Replayed: true`.
#[utoipa::path(
    operation_id = "deposit",
    tag = "money",
    security(("bearer" = [])),
    request_body = MoneyBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per intended effect")),
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
    peer: Peer,
    id: web::Path<Uuid>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, Error> {
    move_cash(state, req, user, peer, *id, body.into_inner(), Movement::Deposit).await
}

/// Cash out; 422 `insufficient-funds` when the balance does not cover it.
#[utoipa::path(
    operation_id = "withdraw",
    tag = "money",
    security(("bearer" = [])),
    request_body = MoneyBody,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, description = "1 to 255 characters; one per intended effect")),
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
    peer: Peer,
    id: web::Path<Uuid>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, Error> {
    move_cash(state, req, user, peer, *id, body.into_inner(), Movement::Withdrawal).await
}

/// Deposits and withdrawals differ only in direction.
async fn move_cash(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    peer: Peer,
    id: Uuid,
    body: MoneyBody,
    movement: Movement,
) -> Result<HttpResponse, Error> {
    let key = idempotency_key(&req, &user, &body)?;
    let request = money_request(body.amount, body.description)?;
    let caller = caller(&user, &peer);
    let outcome = match movement {
        Movement::Withdrawal => state.ledger.withdraw(&caller, id, request, Some(key)).await?,
        _ => state.ledger.deposit(&caller, id, request, Some(key)).await?,
    };
    Ok(respond(outcome, id))
}

/// The account's transactions, newest first.
#[utoipa::path(
    operation_id = "list_transactions",
    tag = "money",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the account"), HistoryQuery),
    responses(
        (status = 200, description = "a page of transactions", body = TransactionPage),
        (status = 400, description = "bad `from`, `to` (named in `errors`), `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}/transactions")]
pub async fn transactions(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, Error> {
    let range = Range::parse(query.from.as_deref(), query.to.as_deref())?;
    let limit = paging::limit(query.limit)?;
    let cursor = paging::cursor::<i64>(query.cursor.as_deref())?;
    let page = state.ledger.history(&caller(&user, &peer), *id, limit, cursor, &range).await?;
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
    peer: Peer,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (id, transaction) = path.into_inner();
    Ok(HttpResponse::Ok().json(state.ledger.transaction(&caller(&user, &peer), id, transaction).await?))
}
