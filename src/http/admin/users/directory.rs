//! Finding and creating users.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use super::super::{cursor, limit};
use super::{AdminUserPage, parse_roles};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::identity::fields::{Email, Fields, FullName};
use crate::staff::users::{AdminUser, UserFilter};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "full_name": "Ada Lovelace", "roles": ["support"]}))]
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
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(&body.email));
    let full_name = fields.take("full_name", FullName::parse(&body.full_name));
    fields.finish()?;
    let roles = parse_roles(body.roles.as_deref().unwrap_or_default())?;
    let (Some(email), Some(full_name)) = (email, full_name) else {
        return Err(Problem::bad_request("email and full_name are required").into());
    };
    let user = state.staff.create_user(&staff.actor, email, full_name, roles).await?;
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
    #[param(minimum = 1, maximum = 200)]
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
) -> Result<HttpResponse, Error> {
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
) -> Result<HttpResponse, Error> {
    let user = state.staff.read_user(&staff.actor, *id).await?;
    Ok(HttpResponse::Ok().json(user))
}
