//! Accounts (`accounts:read`): search by number or owner, one account with its balances, open
//! holds and transactions; freeze, unfreeze and close (`accounts:manage`); asking for a
//! transaction's reversal (`transactions:reverse`, four eyes above `[approvals] reverse_above`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, check_form};
use super::refusal::Refusal;
use super::render::{DetailView, done, page, value};
use crate::approvals::ReversalRequested;
use crate::authz::Permission;
use crate::error::Problem;
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::ledger::account::AccountStatus;
use crate::ledger::desk::AccountFilter;
use crate::ledger::number::AccountNumber;
use crate::reason::{REASON_MAX, Reason};
use crate::state::AppState;

const PAGE: u32 = 25;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountSearch {
    /// An account number (or its first digits), or part of the owner's email.
    q: Option<String>,
    status: Option<AccountStatus>,
    /// The previous page's last account.
    cursor: Option<String>,
}

console_page!("console_accounts_list", [AccountSearch] []
/// Customer accounts, oldest first. HTML.
#[get("/console/accounts")]
pub async fn list(state: web::Data<AppState>, staff: StaffSession, query: web::Query<AccountSearch>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::AccountsRead).await?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    if q.as_ref().is_some_and(|q| q.chars().count() > 254) {
        return Err(Refusal::Refused(Problem::bad_request("the search must be at most 254 characters")));
    }
    let filter = AccountFilter { q: q.clone(), user_id: None, status: query.status };
    let found = state.ledger.search_accounts(&actor, &filter, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({"q": q, "status": query.status, "items": value(&found.items)?, "next_cursor": found.next_cursor});
    page(&staff, "accounts", "Accounts", "accounts.html", None, data)
});

console_page!("console_accounts_detail", [("id" = Uuid, Path, description = "the account"), DetailView]
    [(status = 404, content_type = "text/html", body = String, description = "no such account")]
/// One account: owner, balances, open holds, transactions (newest first) and its actions. HTML.
#[get("/console/accounts/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    staff: StaffSession,
    id: web::Path<Uuid>,
    query: web::Query<DetailView>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::AccountsRead).await?;
    let shown = state.ledger.staff_account_page(&actor, *id, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({
        "account": value(&shown.account)?,
        "transactions": value(&shown.transactions.items)?,
        "next_cursor": shown.transactions.next_cursor,
    });
    page(&staff, "accounts", "Account", "account.html", Some(&query.notice()), data)
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "reason": "card fraud reported by the owner"}))]
pub struct StatusForm {
    csrf_token: String,
    /// Why, for the record (1 to 500 characters).
    reason: Option<String>,
}

fn account_page(id: Uuid) -> String {
    format!("/console/accounts/{id}")
}

console_action!("console_accounts_freeze", [("id" = Uuid, Path, description = "the account")] StatusForm
    [(status = 404, content_type = "text/html", body = String, description = "no such account"),
     (status = 409, content_type = "text/html", body = String, description = "already frozen"),
     (status = 422, content_type = "text/html", body = String, description = "the account is closed")]
/// Freezes the account: debits refused, credits still land; the owner is emailed.
#[post("/console/accounts/{id}/freeze")]
pub async fn freeze(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<StatusForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::AccountsManage).await?;
    let reason = Reason::parse("reason", posted.reason.as_deref(), REASON_MAX)?;
    state.ledger.freeze(&actor, *id, &reason).await?;
    Ok(done(&account_page(*id), "frozen"))
});

console_action!("console_accounts_unfreeze", [("id" = Uuid, Path, description = "the account")] StatusForm
    [(status = 404, content_type = "text/html", body = String, description = "no such account"),
     (status = 409, content_type = "text/html", body = String, description = "not frozen"),
     (status = 422, content_type = "text/html", body = String, description = "the account is closed")]
/// Lifts a freeze; the owner is emailed.
#[post("/console/accounts/{id}/unfreeze")]
pub async fn unfreeze(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<StatusForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::AccountsManage).await?;
    let reason = Reason::parse("reason", posted.reason.as_deref(), REASON_MAX)?;
    state.ledger.unfreeze(&actor, *id, &reason).await?;
    Ok(done(&account_page(*id), "unfrozen"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "reason": "customer request", "transfer_to_account_number": "1234567890"}))]
pub struct CloseForm {
    csrf_token: String,
    reason: Option<String>,
    /// Where a non-zero balance goes: an account of the same owner and currency.
    transfer_to_account_number: Option<String>,
}

console_action!("console_accounts_close", [("id" = Uuid, Path, description = "the account")] CloseForm
    [(status = 404, content_type = "text/html", body = String, description = "no such account"),
     (status = 422, content_type = "text/html", body = String, description = "`balance-not-zero`, `account-closed`, `not-same-owner`, `currency-mismatch`, …")]
/// Closes the account for good, moving a non-zero balance to another account of its owner.
#[post("/console/accounts/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<CloseForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::AccountsManage).await?;
    let reason = Reason::parse("reason", posted.reason.as_deref(), REASON_MAX)?;
    let target = posted
        .transfer_to_account_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::parse::<AccountNumber>)
        .transpose()
        .map_err(|e| Refusal::Refused(Problem::bad_request(format!("the account to move the balance to: {e}"))))?;
    state.ledger.close(&actor, *id, &reason, target.as_ref()).await?;
    Ok(done(&account_page(*id), "closed"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "reason": "customer disputes a duplicate charge", "account_id": "01937c5e-8f4a-7b2c-9d3e-4f5a6b7c8d9e"}))]
pub struct ReverseForm {
    csrf_token: String,
    /// Why (1 to 500 characters), for the approver and the record.
    reason: Option<String>,
    /// The account page to go back to.
    account_id: Uuid,
}

console_action!("console_accounts_reverse", [("id" = Uuid, Path, description = "the transaction (journal entry)")] ReverseForm
    [(status = 404, content_type = "text/html", body = String, description = "no such transaction"),
     (status = 409, content_type = "text/html", body = String, description = "already reversed, or a request is pending"),
     (status = 422, content_type = "text/html", body = String, description = "it cannot be reversed (e.g. not a transfer)")]
/// Asks for the reversal of a transaction: a four-eyes request, or — at or below
/// `[approvals] reverse_above` — the reversal itself (as `POST /v1/admin/transactions/{id}/reverse`).
#[post("/console/transactions/{id}/reverse")]
pub async fn reverse(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<ReverseForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::TransactionsReverse).await?;
    let reason = Reason::parse("reason", posted.reason.as_deref(), REASON_MAX)?;
    let notice = match state.approvals.request_reversal(&actor, *id, &reason).await? {
        ReversalRequested::Pending(_) => "reversal-requested",
        ReversalRequested::Posted(_) => "reversed",
    };
    Ok(done(&account_page(posted.account_id), notice))
});
