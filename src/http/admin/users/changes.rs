//! What staff change about a user: staff locks, roles and direct grants.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{invalid, parse_roles};
use crate::authz::Permission;
use crate::authz::store::Grant;
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::staff::users::AdminUser;
use crate::state::AppState;

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "suspected account takeover"}))]
pub struct LockRequest {
    /// Why, for the record (at most 500 characters).
    reason: Option<String>,
}

/// Lock a user: sign-in refused and every session ended until staff unlock them. The lockout
/// job never lifts a staff lock.
#[utoipa::path(operation_id = "admin_lock_user", tag = "staff", request_body(content = Option<LockRequest>, description = "optional"),
    responses((status = 200, body = AdminUser), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`last-admin`: the last unlocked admin; `self-lock`: your own account",
            content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users/{id}/lock")]
pub async fn lock(
    state: web::Data<AppState>,
    staff: Requires<perm::UsersLock>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
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
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.staff.unlock(&staff.actor, *id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["support", "auditor"]}))]
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
) -> Result<HttpResponse, Error> {
    let roles = parse_roles(&body.roles)?;
    Ok(HttpResponse::Ok().json(state.staff.set_roles(&staff.actor, *id, roles).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"permission": "audit:read", "expires_at": "2027-01-31T00:00:00Z"}))]
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
) -> Result<HttpResponse, Error> {
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
) -> Result<HttpResponse, Error> {
    let (id, grant_id) = path.into_inner();
    state.staff.revoke(&staff.actor, id, grant_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
