//! The four-eyes queue (`approvals:decide`): reversals and MFA resets asked for by one staff
//! member, approved or rejected by another (the service refuses the requester's own).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, check_form};
use super::refusal::Refusal;
use super::render::{Notice, done, page, value};
use crate::approvals::ApprovalStatus;
use crate::authz::Permission;
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::reason::{REASON_MAX, Reason};
use crate::state::AppState;

const PAGE: u32 = 25;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalList {
    /// `pending` (the default), `approved`, `rejected` or `all`.
    status: Option<String>,
    cursor: Option<String>,
    /// What was just done (a fixed word, e.g. `approved`).
    notice: Option<String>,
}

console_page!("console_approvals_list", [ApprovalList] []
/// Four-eyes requests, newest first; pending ones by default. HTML.
#[get("/console/approvals")]
pub async fn list(state: web::Data<AppState>, staff: StaffSession, query: web::Query<ApprovalList>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::ApprovalsDecide).await?;
    let shown = query.status.as_deref().unwrap_or("pending");
    let status = match shown {
        "all" => None,
        other => Some(serde_json::from_value::<ApprovalStatus>(json!(other)).map_err(|_| {
            Refusal::Refused(crate::error::Problem::bad_request("status must be pending, approved, rejected or all"))
        })?),
    };
    let (items, next_cursor) = state.approvals.list(&actor, status, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({"status": shown, "items": value(&items)?, "next_cursor": next_cursor, "me": staff.user_id()});
    let notice = Notice { notice: query.notice.clone() };
    page(&staff, "approvals", "Approvals", "approvals.html", Some(&notice), data)
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "note": "checked against the statement"}))]
pub struct DecisionForm {
    csrf_token: String,
    /// Optional words for the record (at most 500 characters).
    note: Option<String>,
}

fn note(posted: &DecisionForm) -> Result<Option<Reason>, Refusal> {
    let text = posted.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    Ok(text.map(|n| Reason::parse("note", Some(n), REASON_MAX)).transpose()?)
}

console_action!("console_approvals_approve", [("id" = Uuid, Path, description = "the request")] DecisionForm
    [(status = 404, content_type = "text/html", body = String, description = "no such request"),
     (status = 409, content_type = "text/html", body = String, description = "decided already, or your own request"),
     (status = 422, content_type = "text/html", body = String, description = "the action can no longer be carried out (e.g. `insufficient-funds`)")]
/// Approves a request and carries out its action (as `POST /v1/admin/approvals/{id}/approve`).
#[post("/console/approvals/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<DecisionForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::ApprovalsDecide).await?;
    state.approvals.approve(&actor, *id, note(&posted)?.as_ref()).await?;
    Ok(done("/console/approvals", "approved"))
});

console_action!("console_approvals_reject", [("id" = Uuid, Path, description = "the request")] DecisionForm
    [(status = 404, content_type = "text/html", body = String, description = "no such request"),
     (status = 409, content_type = "text/html", body = String, description = "decided already, or your own request")]
/// Rejects a request (as `POST /v1/admin/approvals/{id}/reject`).
#[post("/console/approvals/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<DecisionForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::ApprovalsDecide).await?;
    state.approvals.reject(&actor, *id, note(&posted)?.as_ref()).await?;
    Ok(done("/console/approvals", "rejected"))
});
