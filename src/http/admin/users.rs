//! `/v1/admin/users`: create/invite, list, get, lock, unlock, roles, grants.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::identity_flows::StateIdentityFlows;
use super::{cursor, limit};
use crate::authz::Permission;
use crate::authz::store::Grant;
use crate::error::{ApiError, FieldErrors, Problem};
use crate::http::guards::{Requires, perm};
use crate::identity::Role;
use crate::identity::fields::{Email, Fields, FullName};
use crate::staff::Page;
use crate::staff::users::{AdminUser, UserFilter};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminUserPage {
    items: Vec<AdminUser>,
    next_cursor: Option<String>,
}

impl From<Page<AdminUser>> for AdminUserPage {
    fn from(page: Page<AdminUser>) -> Self {
        Self { items: page.items, next_cursor: page.next_cursor }
    }
}

fn invalid(field: &str, message: String) -> ApiError {
    let mut errors = FieldErrors::new();
    errors.insert(field.to_owned(), vec![message]);
    Problem::invalid_fields(errors).into()
}

fn parse_roles(raw: &[String]) -> Result<Vec<Role>, ApiError> {
    raw.iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                invalid("roles", format!("{r:?} is not one of {}", known.join(", ")))
            })
        })
        .collect()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    full_name: String,
    /// Default `["customer"]`.
    roles: Option<Vec<String>>,
}

/// Create a user and email them an invite: a set-password link, single use, 72 h.
#[utoipa::path(operation_id = "admin_create_user", tag = "staff", request_body = CreateUser,
    responses((status = 201, body = AdminUser), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`email-taken`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users")]
pub async fn create(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersCreate>,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(&body.email));
    let full_name = fields.take("full_name", FullName::parse(&body.full_name));
    fields.finish()?;
    let roles = parse_roles(body.roles.as_deref().unwrap_or_default())?;
    let (Some(email), Some(full_name)) = (email, full_name) else {
        return Err(Problem::bad_request("email and full_name are required").into());
    };
    let user = state.staff.create_user(&staff.actor, email, full_name, roles, &StateIdentityFlows(&state)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/admin/users/{}", user.id))).json(user))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the email or name, any case.
    q: Option<String>,
    kyc_status: Option<String>,
    role: Option<String>,
    locked: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Find users: `?q=&kyc_status=&role=&locked=`, newest first.
#[utoipa::path(operation_id = "admin_list_users", tag = "staff", params(ListQuery),
    responses((status = 200, body = AdminUserPage), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/users")]
pub async fn list(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersRead>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let role = match &query.role {
        Some(raw) => Some(parse_roles(std::slice::from_ref(raw))?.remove(0)),
        None => None,
    };
    let filter = UserFilter { q: query.q, kyc_status: query.kyc_status, role, locked: query.locked };
    let page =
        state.staff.list_users(&staff.actor, &filter, limit(query.limit)?, cursor(query.cursor.as_deref())?).await?;
    Ok(HttpResponse::Ok().json(AdminUserPage::from(page)))
}

/// One user, with their direct grants.
#[utoipa::path(operation_id = "admin_get_user", tag = "staff",
    responses((status = 200, body = AdminUser), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersRead>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = state.staff.read_user(&staff.actor, *id).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
    /// Why, for the record (at most 500 characters).
    reason: Option<String>,
}

/// Lock a user: sign-in refused and every session ended until staff unlock them. The lockout
/// job never lifts a staff lock.
#[utoipa::path(operation_id = "admin_lock_user", tag = "staff", request_body(content = Option<LockRequest>, description = "optional"),
    responses((status = 200, body = AdminUser), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users/{id}/lock")]
pub async fn lock(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersLock>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: LockRequest = crate::http::optional_json(&body)?;
    if body.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(invalid("reason", "at most 500 characters".into()));
    }
    let user = state.staff.lock(&staff.actor, *id, body.reason).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Unlock a user: lifts a staff lock and any lockout from failed passwords.
#[utoipa::path(operation_id = "admin_unlock_user", tag = "staff",
    responses((status = 200, body = AdminUser), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users/{id}/unlock")]
pub async fn unlock(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersLock>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.staff.unlock(&staff.actor, *id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// `customer`, `support`, `kyc_officer`, `auditor`, `admin`; empty = customer.
    roles: Vec<String>,
}

/// Set a user's roles. Takes effect on their next request.
#[utoipa::path(operation_id = "admin_set_roles", tag = "staff", request_body = RolesRequest,
    responses((status = 200, body = AdminUser), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`last-admin`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[put("/v1/admin/users/{id}/roles")]
pub async fn set_roles(
    state: web::Data<AppState>,
    staff: Requires<perm::RolesManage>,
    id: web::Path<Uuid>,
    body: web::Json<RolesRequest>,
) -> Result<HttpResponse, ApiError> {
    let roles = parse_roles(&body.roles)?;
    Ok(HttpResponse::Ok().json(state.staff.set_roles(&staff.actor, *id, roles).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `resource:action`, e.g. `audit:read`.
    permission: String,
    /// In the future; omitted = until revoked.
    expires_at: Option<DateTime<Utc>>,
}

/// Grant one permission to a user, optionally until a time. Takes effect on their next request.
#[utoipa::path(operation_id = "admin_grant_permission", tag = "staff", request_body = GrantRequest,
    responses((status = 201, body = Grant), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users/{id}/permissions")]
pub async fn grant(
    state: web::Data<AppState>,
    staff: Requires<perm::RolesManage>,
    id: web::Path<Uuid>,
    body: web::Json<GrantRequest>,
) -> Result<HttpResponse, ApiError> {
    let Some(permission) = Permission::parse(&body.permission) else {
        let known: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
        return Err(invalid("permission", format!("must be one of {}", known.join(", "))));
    };
    if body.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(invalid("expires_at", "must be in the future".into()));
    }
    let grant = state.staff.grant(&staff.actor, *id, permission, body.expires_at).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/admin/users/{}/permissions/{}", id, grant.id)))
        .json(grant))
}

/// Revoke a grant. Takes effect on the user's next request.
#[utoipa::path(operation_id = "admin_revoke_permission", tag = "staff",
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[delete("/v1/admin/users/{id}/permissions/{grant_id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    staff: Requires<perm::RolesManage>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, grant_id) = path.into_inner();
    state.staff.revoke(&staff.actor, id, grant_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
