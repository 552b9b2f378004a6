//! Cases (`cases:manage`): flagged transfers and other alerts — listed, read with their
//! transaction, account and notes, taken, noted and resolved (a resolution may ask for the
//! reversal or freeze the account, through the same services as their own pages).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, TokenForm, check_form};
use super::refusal::Refusal;
use super::render::{Notice, done, page, value};
use crate::authz::Permission;
use crate::cases::{CaseStatus, Outcome};
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::reason::{NOTE_MAX, REASON_MAX, Reason};
use crate::state::AppState;

const PAGE: u32 = 25;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseList {
    /// `open` (the default), `resolved` or `all`.
    status: Option<String>,
    /// `me`: only the cases assigned to me.
    assignee: Option<String>,
    cursor: Option<String>,
}

console_page!("console_cases_list", [CaseList] []
/// Cases, newest first; open ones by default. HTML.
#[get("/console/cases")]
pub async fn list(state: web::Data<AppState>, staff: StaffSession, query: web::Query<CaseList>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::CasesManage).await?;
    let shown = query.status.as_deref().unwrap_or("open");
    let status = match shown {
        "all" => None,
        "resolved" => Some(CaseStatus::Resolved),
        _ => Some(CaseStatus::Open),
    };
    let mine = query.assignee.as_deref() == Some("me");
    let assignee = mine.then(|| staff.user_id());
    let (items, next_cursor) =
        state.cases.list(&actor, status, assignee, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({"status": shown, "mine": mine, "items": value(&items)?, "next_cursor": next_cursor});
    page(&staff, "cases", "Cases", "cases.html", None, data)
});

console_page!("console_cases_detail", [("id" = Uuid, Path, description = "the case"), Notice]
    [(status = 404, content_type = "text/html", body = String, description = "no such case")]
/// One case with its transaction, account, customer and notes. HTML.
#[get("/console/cases/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    staff: StaffSession,
    id: web::Path<Uuid>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::CasesManage).await?;
    let case = state.cases.get(&actor, *id).await?;
    let data = json!({"case": value(&case)?, "me": staff.user_id()});
    page(&staff, "cases", "Case", "case.html", Some(&notice), data)
});

fn case_page(id: Uuid) -> String {
    format!("/console/cases/{id}")
}

console_action!("console_cases_take", [("id" = Uuid, Path, description = "the case")] TokenForm
    [(status = 404, content_type = "text/html", body = String, description = "no such case"),
     (status = 409, content_type = "text/html", body = String, description = "the case is resolved")]
/// Assigns the case to the signed-in staff member (as `POST /v1/admin/cases/{id}/assign`).
#[post("/console/cases/{id}/take")]
pub async fn take(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::CasesManage).await?;
    state.cases.assign(&actor, *id, staff.user_id()).await?;
    Ok(done(&case_page(*id), "noted"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "text": "called the customer; they confirm the transfer"}))]
pub struct NoteForm {
    csrf_token: String,
    /// 1 to 2000 characters.
    text: Option<String>,
}

console_action!("console_cases_add_note", [("id" = Uuid, Path, description = "the case")] NoteForm
    [(status = 404, content_type = "text/html", body = String, description = "no such case")]
/// Adds a note (as `POST /v1/admin/cases/{id}/notes`).
#[post("/console/cases/{id}/notes")]
pub async fn add_note(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<NoteForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::CasesManage).await?;
    let text = Reason::parse("text", posted.text.as_deref(), NOTE_MAX)?;
    state.cases.note(&actor, *id, &text).await?;
    Ok(done(&case_page(*id), "noted"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "outcome": "cleared", "note": "customer confirmed the payment"}))]
pub struct ResolveForm {
    csrf_token: String,
    outcome: Outcome,
    /// Why (1 to 500 characters); also the reason of a reversal request or freeze.
    note: Option<String>,
}

console_action!("console_cases_resolve", [("id" = Uuid, Path, description = "the case")] ResolveForm
    [(status = 404, content_type = "text/html", body = String, description = "no such case"),
     (status = 409, content_type = "text/html", body = String, description = "resolved already"),
     (status = 422, content_type = "text/html", body = String, description = "the outcome cannot be carried out")]
/// Resolves the case (as `POST /v1/admin/cases/{id}/resolve`).
#[post("/console/cases/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<ResolveForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::CasesManage).await?;
    let why = Reason::parse("note", posted.note.as_deref(), REASON_MAX)?;
    state.cases.resolve(&actor, *id, posted.outcome, &why).await?;
    Ok(done(&case_page(*id), "resolved"))
});
