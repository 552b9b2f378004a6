//! What staff read and operate: the audit log (filters, chain verification, export;
//! `audit:read`, `audit:export`), security events (`audit:read`), the job queues with their
//! failures and dead jobs (`jobs:read`; retry needs `jobs:retry`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, TokenForm, check_form};
use super::refusal::Refusal;
use super::render::{Notice, done, page, value};
use crate::audit::query::AuditFilter;
use crate::authz::Permission;
use crate::error::Problem;
use crate::exports::{Format, StaffExport};
use crate::http::admin::records::job_id;
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::state::AppState;

const PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// e.g. `user.locked`.
    action: Option<String>,
    /// Entries by this user or about them.
    user_id: Option<String>,
    /// First day (UTC), `YYYY-MM-DD`.
    from: Option<String>,
    /// Last day (UTC), `YYYY-MM-DD`.
    to: Option<String>,
    cursor: Option<String>,
}

fn day(field: &str, raw: Option<&str>, next: bool) -> Result<Option<DateTime<Utc>>, Refusal> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Refusal::Refused(Problem::bad_request(format!("{field} must be a date (YYYY-MM-DD)"))))?;
    let date = if next { date + Duration::days(1) } else { date };
    Ok(date.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

impl AuditSearch {
    fn filter(&self) -> Result<AuditFilter, Refusal> {
        let user_id = match self.user_id.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => Some(
                Uuid::parse_str(raw)
                    .map_err(|_| Refusal::Refused(Problem::bad_request("user must be a user id (a UUID)")))?,
            ),
        };
        let action = self.action.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned);
        if action.as_ref().is_some_and(|a| a.len() > 100) {
            return Err(Refusal::Refused(Problem::bad_request("the action must be at most 100 characters")));
        }
        let filter = AuditFilter {
            user_id,
            action,
            from: day("from", self.from.as_deref(), false)?,
            to: day("to", self.to.as_deref(), true)?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from >= to
        {
            return Err(Refusal::Refused(Problem::bad_request("the first day must not be after the last")));
        }
        Ok(filter)
    }
}

async fn audit_page(
    state: &AppState,
    staff: &StaffSession,
    search: &AuditSearch,
    report: Option<serde_json::Value>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(state, Permission::AuditRead).await?;
    let filter = search.filter()?;
    let found = state.staff.audit_logs(&actor, &filter, PAGE, cursor(search.cursor.as_deref())?).await?;
    let query = json!({"action": search.action, "user_id": search.user_id, "from": search.from, "to": search.to});
    let data =
        json!({"query": query, "items": value(&found.items)?, "next_cursor": found.next_cursor, "report": report});
    page(staff, "audit", "Audit log", "audit.html", None, data)
}

console_page!("console_records_audit", [AuditSearch] []
/// The audit chain, newest first, filtered. HTML.
#[get("/console/audit")]
pub async fn audit(state: web::Data<AppState>, staff: StaffSession, query: web::Query<AuditSearch>) -> Result<HttpResponse, Refusal> {
    audit_page(&state, &staff, &query, None).await
});

console_page!("console_records_verify", [AuditSearch] []
/// Walks the tamper-evident chain and shows the result above the log. HTML.
#[get("/console/audit/verify")]
pub async fn verify(state: web::Data<AppState>, staff: StaffSession, query: web::Query<AuditSearch>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::AuditRead).await?;
    let report = state.staff.verify_audit_chain(&actor).await?;
    audit_page(&state, &staff, &query, Some(value(&report)?)).await
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "format": "csv", "action": "user.locked", "user_id": "", "from": "2026-12-01", "to": ""}))]
pub struct ExportForm {
    csrf_token: String,
    format: Format,
    action: Option<String>,
    user_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

console_action!("console_records_export", [] ExportForm []
/// Asks for an export of the log with the page's filters (as `POST /v1/admin/audit-logs/export`);
/// 303 to the export's page.
#[post("/console/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    posted: web::Form<ExportForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::AuditExport).await?;
    let posted = posted.into_inner();
    let search = AuditSearch { action: posted.action, user_id: posted.user_id, from: posted.from, to: posted.to, cursor: None };
    let id = state.exports.request_audit(staff.user_id(), &actor, posted.format, search.filter()?).await?;
    Ok(done(&format!("/console/audit/exports/{id}"), "export"))
});

console_page!("console_records_export_status", [("id" = Uuid, Path, description = "the export"), Notice]
    [(status = 404, content_type = "text/html", body = String, description = "no such export of yours")]
/// An export you asked for: how far it is, and its download link once ready. HTML.
#[get("/console/audit/exports/{id}")]
pub async fn export_status(
    state: web::Data<AppState>,
    staff: StaffSession,
    id: web::Path<Uuid>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    staff.require(&state, Permission::AuditExport).await?;
    let Some(StaffExport { export: asked, url }) = state.exports.staff_export(staff.user_id(), *id).await? else {
        return Err(Refusal::Refused(Problem::not_found("the export")));
    };
    let data = json!({"export": {"id": asked.id, "status": value(&asked.status)?, "format": value(&asked.format)?,
        "requested_at": asked.requested_at, "expires_at": asked.expires_at, "url": url}});
    page(&staff, "audit", "Audit export", "audit.html", Some(&notice), data)
});

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventSearch {
    /// e.g. `login_failed`, `account_locked`, `refresh_token_reuse`.
    kind: Option<String>,
    cursor: Option<String>,
}

console_page!("console_records_security_events", [EventSearch] []
/// Security events, newest first. HTML.
#[get("/console/security-events")]
pub async fn security_events(state: web::Data<AppState>, staff: StaffSession, query: web::Query<EventSearch>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::AuditRead).await?;
    let kind = query.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if kind.is_some_and(|k| k.len() > 64) {
        return Err(Refusal::Refused(Problem::bad_request("the kind must be at most 64 characters")));
    }
    let found = state.staff.security_events(&actor, kind, None, PAGE, cursor(query.cursor.as_deref())?).await?;
    let data = json!({"kind": kind, "items": value(&found.items)?, "next_cursor": found.next_cursor});
    page(&staff, "security", "Security events", "security_events.html", None, data)
});

console_page!("console_records_jobs", [Notice] []
/// The job queues, recent failures and dead jobs. HTML.
#[get("/console/jobs")]
pub async fn jobs(state: web::Data<AppState>, staff: StaffSession, notice: web::Query<Notice>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::JobsRead).await?;
    let overview = state.staff.jobs(&actor).await?;
    page(&staff, "jobs", "Jobs", "jobs.html", Some(&notice), json!({"overview": value(&overview)?}))
});

console_action!("console_records_retry", [("id" = String, Path, description = "the dead job")] TokenForm
    [(status = 404, content_type = "text/html", body = String, description = "no dead job with that id")]
/// Puts a dead job back on its queue (as `POST /v1/admin/jobs/{id}/retry`).
#[post("/console/jobs/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<String>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::JobsRetry).await?;
    if !state.staff.retry_dead_job(&actor, job_id(&id)?).await? {
        return Err(Refusal::Refused(Problem::not_found("a dead job with that id")));
    }
    Ok(done("/console/jobs", "retried"))
});
