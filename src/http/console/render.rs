//! A console page: the layout's navigation (only the sections the staff member may open), the
//! CSRF token for its forms, a notice after a change, and the page's own data.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::guard::StaffSession;
use super::refusal::Refusal;
use super::templates;
use crate::authz::Permission;
use crate::http::pages::html;

/// The sections, in the order of the navigation, with the permission each needs.
const SECTIONS: [(&str, &str, &str, Option<Permission>); 10] = [
    ("dashboard", "Dashboard", "/console", None),
    ("kyc", "KYC queue", "/console/kyc", Some(Permission::KycReview)),
    ("users", "Users", "/console/users", Some(Permission::UsersRead)),
    ("accounts", "Accounts", "/console/accounts", Some(Permission::AccountsRead)),
    ("approvals", "Approvals", "/console/approvals", Some(Permission::ApprovalsDecide)),
    ("cases", "Cases", "/console/cases", Some(Permission::CasesManage)),
    ("audit", "Audit log", "/console/audit", Some(Permission::AuditRead)),
    ("security", "Security events", "/console/security-events", Some(Permission::AuditRead)),
    ("jobs", "Jobs", "/console/jobs", Some(Permission::JobsRead)),
    ("webhooks", "Webhooks", "/console/webhooks", Some(Permission::WebhooksManage)),
];

/// What a change says on the page it leads back to (`?notice=`); anything else says nothing.
const NOTICES: [(&str, &str); 23] = [
    ("reviewed", "The KYC decision was recorded and the customer emailed."),
    ("frozen", "The account is frozen."),
    ("unfrozen", "The account is no longer frozen."),
    ("closed", "The account is closed."),
    ("reversal-requested", "The reversal awaits a second staff member's approval."),
    ("reversed", "The transaction was reversed."),
    ("approved", "Approved; the action was carried out."),
    ("rejected", "Rejected; nothing was changed."),
    ("locked", "The user is locked and signed out everywhere."),
    ("unlocked", "The user is unlocked."),
    ("roles", "The roles were changed."),
    ("granted", "The permission was granted."),
    ("revoked", "The grant was revoked."),
    ("mfa-reset-requested", "The MFA reset awaits a second staff member's approval."),
    ("noted", "The note was added."),
    ("resolved", "The case is resolved."),
    ("retried", "The job is back on its queue."),
    ("export", "The export is being prepared; reload this page to see when it is ready."),
    ("webhook-changed", "The endpoint was changed."),
    ("webhook-enabled", "The endpoint is enabled; deliveries resume."),
    ("webhook-disabled", "The endpoint is disabled; nothing is sent to it."),
    ("webhook-deleted", "The endpoint and its deliveries were deleted."),
    ("redelivered", "The event will be sent again."),
];

/// `?notice=` on a page a change redirected to.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Notice {
    /// What was just done (a fixed word, e.g. `frozen`).
    pub notice: Option<String>,
}

/// The query of a page that shows one thing with a paged list under it (an account's
/// transactions, an endpoint's deliveries).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailView {
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// What was just done (a fixed word, e.g. `frozen`).
    pub notice: Option<String>,
}

impl DetailView {
    /// Its notice, for [`page`].
    pub fn notice(&self) -> Notice {
        Notice { notice: self.notice.clone() }
    }
}

impl Notice {
    fn text(&self) -> Option<&'static str> {
        let asked = self.notice.as_deref()?;
        NOTICES.iter().find(|(word, _)| *word == asked).map(|(_, text)| *text)
    }
}

/// Renders the page `name` of `section` for `staff`.
pub fn page(
    staff: &StaffSession,
    section: &str,
    title: &str,
    name: &str,
    notice: Option<&Notice>,
    data: Value,
) -> Result<HttpResponse, Refusal> {
    let now = Utc::now();
    let nav: Vec<Value> = SECTIONS
        .iter()
        .filter(|(_, _, _, needs)| needs.is_none_or(|p| staff.access.allows(p, now)))
        .map(|(id, label, href, _)| json!({"id": id, "label": label, "href": href, "current": *id == section}))
        .collect();
    let may: serde_json::Map<String, Value> =
        staff.access.permissions(now).into_iter().map(|p| (p.name().replace(':', "_"), Value::Bool(true))).collect();
    let context = json!({
        "title": title,
        "nav": nav,
        "may": may,
        "csrf": staff.csrf,
        "notice": notice.and_then(Notice::text),
        "data": data,
    });
    Ok(html(StatusCode::OK, templates::render(name, context)?, None))
}

/// After a change: 303 to the page that shows it, with a notice.
pub fn done(location: &str, notice: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("{location}?notice={notice}"))).finish()
}

/// A value as JSON for a template.
pub fn value(data: &impl serde::Serialize) -> Result<Value, Refusal> {
    serde_json::to_value(data).map_err(|e| Refusal::Internal(anyhow::anyhow!("page data: {e}").into()))
}
