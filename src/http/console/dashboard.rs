//! The dashboard: the counts and four charts (transfers per day, KYC queue age, open cases, job
//! queues), from `Staff::dashboard` (`users:read`, as `GET /v1/admin/stats`).

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::charts::bars;
use super::guard::StaffSession;
use super::refusal::Refusal;
use super::render::{Notice, page, value};
use crate::authz::Permission;
use crate::staff::dashboard::FIGURES_FRESH_FOR;
use crate::state::AppState;

/// Days of transfers the dashboard charts.
const DAYS: u16 = 14;

/// The console's first page. HTML.
#[utoipa::path(operation_id = "console_dashboard_show", tag = "staff console", params(Notice),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "the dashboard"),
        (status = 303, description = "not signed in (to the sign-in page) or no second factor yet (to enrolment)"),
        (status = 400, description = "a query that does not parse", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, content_type = "text/html", body = String, description = "not staff, or without `users:read`"),
    ))]
#[get("/console")]
pub async fn show(
    state: web::Data<AppState>,
    staff: StaffSession,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    if !staff.may(Permission::UsersRead) {
        // Staff without the counts still get a page: the sections they may open.
        return page(&staff, "dashboard", "Dashboard", "dashboard.html", Some(&notice), json!({}));
    }
    let actor = staff.require(&state, Permission::UsersRead).await?;
    let d = state.staff.dashboard(&actor, DAYS).await?;
    let day_labels: Vec<(String, i64)> =
        d.transfers_per_day.iter().map(|(day, n)| (day.get(5..).unwrap_or(day.as_str()).to_owned(), *n)).collect();
    let queues: Vec<(String, i64)> = d
        .queues
        .iter()
        .map(|q| (q.queue.clone(), i64::try_from(q.waiting + q.running + q.dead).unwrap_or(i64::MAX)))
        .collect();
    let data = json!({
        "counted_at": d.counted_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "counted_at_shown": d.counted_at.format("%H:%M:%S UTC").to_string(),
        "fresh_for_secs": FIGURES_FRESH_FOR.as_secs(),
        "stats": value(&d.stats)?,
        "queues": value(&d.queues)?,
        "charts": [
            value(&bars(&format!("Transfers per day, last {DAYS} days"), &day_labels))?,
            value(&bars("KYC submissions waiting, by age", &d.kyc_waiting_by_age))?,
            value(&bars("Open cases, by kind", &d.open_cases_by_kind))?,
            value(&bars("Jobs per queue (waiting, running, dead)", &queues))?,
        ],
    });
    page(&staff, "dashboard", "Dashboard", "dashboard.html", Some(&notice), data)
}
