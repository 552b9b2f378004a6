//! Staff and customers' accounts: search, one account with its owner, its transactions by date,
//! and freezing, unfreezing and closing it (`accounts:read`, `accounts:manage`).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{cursor, limit};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::ledger::account::AccountStatus;
use crate::ledger::desk::{AccountFilter, StaffAccount};
use crate::ledger::history::Range;
use crate::ledger::number::AccountNumber;
use crate::ledger::transaction::Transaction;
use crate::reason::{REASON_MAX, Reason};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// An account number (or its first digits), or part of the owner's email.
    q: Option<String>,
    user_id: Option<Uuid>,
    status: Option<AccountStatus>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffAccountPage {
    items: Vec<StaffAccount>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// RFC 3339 time or date (YYYY-MM-DD): transactions at or after it.
    from: Option<String>,
    /// RFC 3339 time (inclusive) or date (that whole day).
    to: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffTransactionPage {
    items: Vec<Transaction>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "card fraud reported by the owner"}))]
pub struct StatusRequest {
    /// Why, for the record (1 to 500 characters).
    reason: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "customer request", "transfer_to_account_number": "1234567890"}))]
pub struct CloseRequest {
    /// Why, for the record (1 to 500 characters).
    reason: Option<String>,
    /// Where a non-zero balance goes: an account of the same owner and currency.
    transfer_to_account_number: Option<String>,
}

/// Customer accounts by number or owner email, oldest first.
#[utoipa::path(operation_id = "admin_accounts", tag = "staff", params(AccountQuery),
    responses((status = 200, body = StaffAccountPage),
        (status = 400, body = Problem, description = "bad `status`, `user_id`, `limit` or `cursor`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/accounts")]
pub async fn list(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsRead>,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let q = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 254) {
        return Err(Problem::bad_request("q must be at most 254 characters").into());
    }
    let filter = AccountFilter { q, user_id: query.user_id, status: query.status };
    let (limit, cursor) = (limit(query.limit)?, cursor::<Uuid>(query.cursor.as_deref())?);
    let page = state.ledger.search_accounts(&staff.actor, &filter, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(StaffAccountPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Any customer account with its owner and balances (holds do not exist yet).
#[utoipa::path(operation_id = "admin_account", tag = "staff", params(("id" = Uuid, Path, description = "the account")),
    responses((status = 200, body = StaffAccount),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such account", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/accounts/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsRead>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.ledger.staff_account(&staff.actor, *id).await?))
}

/// Any customer account's transactions, newest first, `?from=&to=` bounding them.
#[utoipa::path(operation_id = "admin_account_transactions", tag = "staff",
    params(("id" = Uuid, Path, description = "the account"), HistoryQuery),
    responses((status = 200, body = StaffTransactionPage),
        (status = 400, body = Problem, description = "bad `from`, `to`, `limit` or `cursor` (named in `errors`)", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such account", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/accounts/{id}/transactions")]
pub async fn transactions(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsRead>,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, Error> {
    let range = Range::parse(query.from.as_deref(), query.to.as_deref())?;
    let (limit, cursor) = (limit(query.limit)?, cursor::<i64>(query.cursor.as_deref())?);
    let page = state.ledger.staff_history(&staff.actor, *id, limit, cursor, &range).await?;
    Ok(HttpResponse::Ok().json(StaffTransactionPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Freezes an account: debits are refused (`account-frozen`), credits still land; the owner is
/// emailed.
#[utoipa::path(operation_id = "admin_account_freeze", tag = "staff", params(("id" = Uuid, Path, description = "the account")),
    request_body = StatusRequest,
    responses((status = 200, body = StaffAccount),
        (status = 400, body = Problem, description = "`reason` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such account", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`already-frozen`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`account-closed`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/accounts/{id}/freeze")]
pub async fn freeze(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsManage>,
    id: web::Path<Uuid>,
    body: web::Json<StatusRequest>,
) -> Result<HttpResponse, Error> {
    let reason = Reason::parse("reason", body.reason.as_deref(), REASON_MAX)?;
    Ok(HttpResponse::Ok().json(state.ledger.freeze(&staff.actor, *id, &reason).await?))
}

/// Lifts a freeze; the owner is emailed.
#[utoipa::path(operation_id = "admin_account_unfreeze", tag = "staff", params(("id" = Uuid, Path, description = "the account")),
    request_body = StatusRequest,
    responses((status = 200, body = StaffAccount),
        (status = 400, body = Problem, description = "`reason` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such account", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`not-frozen`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`account-closed`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/accounts/{id}/unfreeze")]
pub async fn unfreeze(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsManage>,
    id: web::Path<Uuid>,
    body: web::Json<StatusRequest>,
) -> Result<HttpResponse, Error> {
    let reason = Reason::parse("reason", body.reason.as_deref(), REASON_MAX)?;
    Ok(HttpResponse::Ok().json(state.ledger.unfreeze(&staff.actor, *id, &reason).await?))
}

/// Closes an account for good. A non-zero balance moves, in the same transaction, to
/// `transfer_to_account_number` (same owner and currency).
#[utoipa::path(operation_id = "admin_account_close", tag = "staff", params(("id" = Uuid, Path, description = "the account")),
    request_body = CloseRequest,
    responses((status = 200, body = StaffAccount),
        (status = 400, body = Problem, description = "`reason` missing or too long, or a malformed account number", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such account", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`balance-not-zero`, `account-closed`, `account-not-found`, `not-same-owner`, `currency-mismatch`, `same-account`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/accounts/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    staff: Requires<perm::AccountsManage>,
    id: web::Path<Uuid>,
    body: web::Json<CloseRequest>,
) -> Result<HttpResponse, Error> {
    let reason = Reason::parse("reason", body.reason.as_deref(), REASON_MAX)?;
    let target = body
        .transfer_to_account_number
        .as_deref()
        .map(|raw| raw.parse::<AccountNumber>())
        .transpose()
        .map_err(|e| Problem::bad_request(format!("transfer_to_account_number: {e}")))?;
    Ok(HttpResponse::Ok().json(state.ledger.close(&staff.actor, *id, &reason, target.as_ref()).await?))
}
