//! What staff read: audit logs (and the chain check), security events, notifications, stats,
//! job queues.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{cursor, limit};
use crate::audit::query::AuditFilter;
use crate::audit::{ChainReport, Entry};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::notifications::Notification;
use crate::staff::lists::{SecurityEventView, Stats};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    items: Vec<Entry>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries by this user or about them.
    user_id: Option<Uuid>,
    /// e.g. `user.locked`.
    action: Option<String>,
    /// RFC 3339, inclusive.
    from: Option<DateTime<Utc>>,
    /// RFC 3339, exclusive.
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The audit chain, newest first: `?user_id=&action=&from=&to=`.
#[utoipa::path(operation_id = "admin_audit_logs", tag = "staff", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/audit-logs")]
pub async fn audit_logs(
    state: web::Data<AppState>,
    staff: Requires<perm::AuditRead>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(Problem::bad_request("from must be before to").into());
    }
    let filter = AuditFilter { user_id: query.user_id, action: query.action.clone(), from: query.from, to: query.to };
    let page =
        state.staff.audit_logs(&staff.actor, &filter, limit(query.limit)?, cursor(query.cursor.as_deref())?).await?;
    Ok(HttpResponse::Ok().json(AuditPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Walk the tamper-evident chain: `{ok, checked, first_bad_id?}`.
#[utoipa::path(operation_id = "admin_audit_verify", tag = "staff",
    responses((status = 200, body = ChainReport), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/audit-logs/verify")]
pub async fn audit_verify(state: web::Data<AppState>, staff: Requires<perm::AuditRead>) -> Result<HttpResponse, Error> {
    let report = state.staff.verify_audit_chain(&staff.actor).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SecurityEventPage {
    items: Vec<SecurityEventView>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SecurityEventQuery {
    /// e.g. `login_failed`, `account_locked`, `refresh_token_reuse`, `rate_limited`, `mfa_failed`.
    kind: Option<String>,
    user_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Failed sign-ins, lockouts, refresh-token reuse, rate-limit hits, failed MFA codes, newest first.
#[utoipa::path(operation_id = "admin_security_events", tag = "staff", params(SecurityEventQuery),
    responses((status = 200, body = SecurityEventPage), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/security-events")]
pub async fn security_events(
    state: web::Data<AppState>,
    staff: Requires<perm::AuditRead>,
    query: web::Query<SecurityEventQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = state
        .staff
        .security_events(
            &staff.actor,
            query.kind.as_deref(),
            query.user_id,
            limit(query.limit)?,
            cursor(query.cursor.as_deref())?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(SecurityEventPage { items: page.items, next_cursor: page.next_cursor }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    items: Vec<Notification>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
    /// Also list acknowledged notifications (default false).
    include_acknowledged: Option<bool>,
}

/// Staff notifications (new KYC submissions, flagged transfers), newest first; acknowledged
/// ones only with `?include_acknowledged=true`.
#[utoipa::path(operation_id = "admin_notifications", tag = "staff", params(NotificationQuery),
    responses((status = 200, body = NotificationPage), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/notifications")]
pub async fn notifications(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersRead>,
    query: web::Query<NotificationQuery>,
) -> Result<HttpResponse, Error> {
    let (limit, cursor) = (limit(query.limit)?, cursor(query.cursor.as_deref())?);
    let all = query.include_acknowledged.unwrap_or(false);
    let page = state.staff.notifications(&staff.actor, limit, cursor, all).await?;
    Ok(HttpResponse::Ok().json(NotificationPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Acknowledges a notification: it leaves the default list. Acknowledging twice is fine.
#[utoipa::path(operation_id = "admin_notification_ack", tag = "staff",
    params(("id" = Uuid, Path, description = "the notification")),
    responses((status = 204, description = "acknowledged"),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such notification", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/notifications/{id}/ack")]
pub async fn acknowledge_notification(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersRead>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.notifications.acknowledge(&staff.actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Counts: users by status and KYC status, transfers today, jobs queued and dead.
#[utoipa::path(operation_id = "admin_stats", tag = "staff",
    responses((status = 200, body = Stats), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/stats")]
pub async fn stats(state: web::Data<AppState>, staff: Requires<perm::UsersRead>) -> Result<HttpResponse, Error> {
    let stats = state.staff.stats(&staff.actor).await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// Queue depth per job type, recent failures and dead jobs with their errors.
#[utoipa::path(operation_id = "admin_jobs", tag = "staff",
    responses((status = 200, description = "`{queues: [{queue, waiting, running, dead}], recent_failures, dead}`"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/jobs")]
pub async fn jobs(state: web::Data<AppState>, staff: Requires<perm::JobsRead>) -> Result<HttpResponse, Error> {
    let overview = state.staff.jobs(&staff.actor).await?;
    Ok(HttpResponse::Ok().json(overview))
}

/// A job id as the queues write them (UUIDs, ULIDs): 1 to 64 letters, digits, `-` or `_`.
pub fn job_id(raw: &str) -> Result<&str, Error> {
    let raw = raw.trim();
    let ok =
        !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(raw) } else { Err(Problem::bad_request("the job id must be 1 to 64 letters, digits, - or _").into()) }
}

/// Puts a dead job back on its queue with its attempts reset (as `tresor jobs retry ID`).
#[utoipa::path(operation_id = "admin_job_retry", tag = "staff",
    params(("id" = String, Path, description = "the dead job, as `GET /v1/admin/jobs` lists it")),
    responses((status = 204, description = "back on its queue"),
        (status = 400, body = Problem, description = "not a job id", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no dead job with that id", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/jobs/{id}/retry")]
pub async fn retry_job(
    state: web::Data<AppState>,
    staff: Requires<perm::JobsRetry>,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id = job_id(&id)?;
    if state.staff.retry_dead_job(&staff.actor, id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(Problem::not_found("dead job").into())
    }
}
