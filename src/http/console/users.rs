//! Users (`users:read`): search, and one user with their roles, grants and live sessions; lock
//! and unlock (`users:lock`), roles and grants with an expiry (`roles:manage`), and asking for an
//! MFA reset (`mfa:reset`, four eyes). The same `Staff` and `Approvals` calls as the API.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::guard::{StaffSession, TokenForm, check_form};
use super::refusal::Refusal;
use super::render::{Notice, done, page, value};
use crate::authz::Permission;
use crate::error::Problem;
use crate::http::browser_session::BrowserSessions;
use crate::http::paging::cursor;
use crate::identity::Role;
use crate::reason::{REASON_MAX, Reason};
use crate::staff::users::{UserDetail, UserFilter};
use crate::state::AppState;

const PAGE: u32 = 25;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Part of the email or name.
    q: Option<String>,
    /// The previous page's last user.
    cursor: Option<String>,
}

console_page!("console_users_list", [UserSearch] []
/// Users, newest first, found by email or name. HTML.
#[get("/console/users")]
pub async fn list(state: web::Data<AppState>, staff: StaffSession, query: web::Query<UserSearch>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::UsersRead).await?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    if q.as_ref().is_some_and(|q| q.chars().count() > 254) {
        return Err(Refusal::Refused(Problem::bad_request("the search must be at most 254 characters")));
    }
    let filter = UserFilter { q: q.clone(), ..UserFilter::default() };
    let found = state.staff.list_users(&actor, &filter, PAGE, cursor(query.cursor.as_deref())?).await?;
    page(&staff, "users", "Users", "users.html", None, json!({"q": q, "page": value(&found)?}))
});

console_page!("console_users_detail", [("id" = Uuid, Path, description = "the user"), Notice]
    [(status = 404, content_type = "text/html", body = String, description = "no such user")]
/// One user: status, roles, grants, live sessions, and the changes the staff member may make. HTML.
#[get("/console/users/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    staff: StaffSession,
    id: web::Path<Uuid>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::UsersRead).await?;
    let UserDetail { user, sessions } = state.staff.user_detail(&actor, *id).await?;
    let sessions: Vec<serde_json::Value> = sessions
        .into_iter()
        .map(|s| {
            json!({"id": s.id, "device_name": s.device_name, "ip": s.ip, "user_agent": s.user_agent,
                   "created_at": s.created_at, "last_used_at": s.last_used_at, "via": s.via})
        })
        .collect();
    let held: Vec<_> = Role::ALL
        .iter()
        .filter(|r| **r != Role::Customer)
        .map(|r| json!({"name": r.name(), "held": user.roles.contains(r)}))
        .collect();
    let permissions: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
    let data = json!({"user": value(&user)?, "sessions": sessions, "roles": held, "permissions": permissions});
    page(&staff, "users", "User", "user.html", Some(&notice), data)
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "reason": "suspected account takeover"}))]
pub struct ReasonForm {
    csrf_token: String,
    /// Why, for the record.
    reason: Option<String>,
}

fn user_page(id: Uuid) -> String {
    format!("/console/users/{id}")
}

console_action!("console_users_lock", [("id" = Uuid, Path, description = "the user")] ReasonForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user")]
/// Locks the user: sign-in refused and every session ended (as `POST /v1/admin/users/{id}/lock`).
#[post("/console/users/{id}/lock")]
pub async fn lock(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<ReasonForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::UsersLock).await?;
    let reason = posted.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(Refusal::Refused(Problem::bad_request("the reason must be at most 500 characters")));
    }
    state.staff.lock(&actor, *id, reason).await?;
    Ok(done(&user_page(*id), "locked"))
});

console_action!("console_users_unlock", [("id" = Uuid, Path, description = "the user")] ReasonForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user")]
/// Unlocks the user (as `POST /v1/admin/users/{id}/unlock`).
#[post("/console/users/{id}/unlock")]
pub async fn unlock(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<ReasonForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::UsersLock).await?;
    state.staff.unlock(&actor, *id).await?;
    Ok(done(&user_page(*id), "unlocked"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "support": "on", "auditor": "on"}))]
pub struct RolesForm {
    csrf_token: String,
    /// A ticked box: the role is held (none ticked: a customer).
    support: Option<String>,
    kyc_officer: Option<String>,
    auditor: Option<String>,
    admin: Option<String>,
}

console_action!("console_users_roles", [("id" = Uuid, Path, description = "the user")] RolesForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user"),
     (status = 409, content_type = "text/html", body = String, description = "the change would leave no admin")]
/// Sets the user's roles (as `PUT /v1/admin/users/{id}/roles`).
#[post("/console/users/{id}/roles")]
pub async fn roles(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<RolesForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::RolesManage).await?;
    let ticked = [
        (Role::Support, &posted.support),
        (Role::KycOfficer, &posted.kyc_officer),
        (Role::Auditor, &posted.auditor),
        (Role::Admin, &posted.admin),
    ];
    let roles: Vec<Role> = ticked.into_iter().filter(|(_, box_)| box_.is_some()).map(|(role, _)| role).collect();
    state.staff.set_roles(&actor, *id, roles).await?;
    Ok(done(&user_page(*id), "roles"))
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "permission": "audit:read", "expires_on": "2027-01-31"}))]
pub struct GrantForm {
    csrf_token: String,
    /// `resource:action`.
    permission: String,
    /// The last day it holds (UTC), `YYYY-MM-DD`; empty: until revoked.
    expires_on: Option<String>,
}

console_action!("console_users_grant", [("id" = Uuid, Path, description = "the user")] GrantForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user")]
/// Grants one permission, optionally until a day (as `POST /v1/admin/users/{id}/permissions`).
#[post("/console/users/{id}/grants")]
pub async fn grant(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<GrantForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::RolesManage).await?;
    let Some(permission) = Permission::parse(&posted.permission) else {
        return Err(Refusal::Refused(Problem::bad_request("choose one of the listed permissions")));
    };
    let expires_at = match posted.expires_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(day) => {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| Refusal::Refused(Problem::bad_request("the last day must be a date (YYYY-MM-DD)")))?;
            let end = (day + Duration::days(1)).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            if end.is_none_or(|end| end <= chrono::Utc::now()) {
                return Err(Refusal::Refused(Problem::bad_request("the last day must not be in the past")));
            }
            end
        }
    };
    state.staff.grant(&actor, *id, permission, expires_at).await?;
    Ok(done(&user_page(*id), "granted"))
});

console_action!("console_users_revoke", [("id" = Uuid, Path, description = "the user"), ("grant_id" = Uuid, Path, description = "the grant")] TokenForm
    [(status = 404, content_type = "text/html", body = String, description = "no such grant of this user")]
/// Revokes a grant (as `DELETE /v1/admin/users/{id}/permissions/{grant_id}`).
#[post("/console/users/{id}/grants/{grant_id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    path: web::Path<(Uuid, Uuid)>,
    posted: web::Form<TokenForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::RolesManage).await?;
    let (id, grant_id) = path.into_inner();
    state.staff.revoke(&actor, id, grant_id).await?;
    Ok(done(&user_page(id), "revoked"))
});

console_action!("console_users_mfa_reset", [("id" = Uuid, Path, description = "the user")] ReasonForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user"),
     (status = 409, content_type = "text/html", body = String, description = "the user has no MFA, or a reset is pending")]
/// Asks for the reset of the user's MFA; a second staff member approves it (as
/// `POST /v1/admin/users/{id}/mfa/reset`).
#[post("/console/users/{id}/mfa-reset")]
pub async fn mfa_reset(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    id: web::Path<Uuid>,
    posted: web::Form<ReasonForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::MfaReset).await?;
    let reason = Reason::parse("reason", posted.reason.as_deref(), REASON_MAX)?;
    state.approvals.request_mfa_reset(&actor, *id, &reason).await?;
    Ok(done(&user_page(*id), "mfa-reset-requested"))
});
