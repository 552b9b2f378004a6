//! Cases (`cases:manage`): flagged transfers and other alerts — listed, read, assigned, noted
//! and resolved.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{cursor, limit};
use crate::cases::{Case, CaseDetail, CaseStatus, Outcome};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::reason::{NOTE_MAX, Reason};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// `open` or `resolved`; all when absent.
    status: Option<CaseStatus>,
    /// Cases assigned to this staff member.
    assignee: Option<Uuid>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    items: Vec<Case>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": "01937c5e-8f4a-7b2c-9d3e-4f5a6b7c8d9e"}))]
pub struct AssignRequest {
    /// A staff member holding `cases:manage`.
    assignee_id: Uuid,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "called the customer; they confirm the transfer"}))]
pub struct NoteRequest {
    /// 1 to 2000 characters.
    text: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "cleared", "note": "customer confirmed the payment"}))]
pub struct ResolveRequest {
    outcome: Outcome,
    /// Why (1 to 500 characters); also the reason of a reversal request or freeze.
    note: Option<String>,
}

/// Cases, newest first.
#[utoipa::path(operation_id = "admin_cases", tag = "staff", params(CaseQuery),
    responses((status = 200, body = CasePage),
        (status = 400, body = Problem, description = "bad `status`, `assignee`, `limit` or `cursor`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/cases")]
pub async fn list(
    state: web::Data<AppState>,
    staff: Requires<perm::CasesManage>,
    query: web::Query<CaseQuery>,
) -> Result<HttpResponse, Error> {
    let (limit, cursor) = (limit(query.limit)?, cursor::<Uuid>(query.cursor.as_deref())?);
    let (items, next_cursor) = state.cases.list(&staff.actor, query.status, query.assignee, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(CasePage { items, next_cursor }))
}

/// The case with its transaction, account, customer and notes.
#[utoipa::path(operation_id = "admin_case", tag = "staff", params(("id" = Uuid, Path, description = "the case")),
    responses((status = 200, body = CaseDetail),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such case", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/cases/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    staff: Requires<perm::CasesManage>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.cases.get(&staff.actor, *id).await?))
}

/// Assigns an open case.
#[utoipa::path(operation_id = "admin_case_assign", tag = "staff", params(("id" = Uuid, Path, description = "the case")),
    request_body = AssignRequest,
    responses((status = 200, body = CaseDetail),
        (status = 400, body = Problem, description = "`assignee_id` missing or not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such case", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`case-resolved`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`invalid-assignee`: not a staff member with `cases:manage`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/cases/{id}/assign")]
pub async fn assign(
    state: web::Data<AppState>,
    staff: Requires<perm::CasesManage>,
    id: web::Path<Uuid>,
    body: web::Json<AssignRequest>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.cases.assign(&staff.actor, *id, body.assignee_id).await?))
}

/// Adds a note.
#[utoipa::path(operation_id = "admin_case_note", tag = "staff", params(("id" = Uuid, Path, description = "the case")),
    request_body = NoteRequest,
    responses((status = 200, body = CaseDetail),
        (status = 400, body = Problem, description = "`text` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such case", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/cases/{id}/notes")]
pub async fn add_note(
    state: web::Data<AppState>,
    staff: Requires<perm::CasesManage>,
    id: web::Path<Uuid>,
    body: web::Json<NoteRequest>,
) -> Result<HttpResponse, Error> {
    let text = Reason::parse("text", body.text.as_deref(), NOTE_MAX)?;
    Ok(HttpResponse::Ok().json(state.cases.note(&staff.actor, *id, &text).await?))
}

/// Resolves an open case; `reversal_requested` and `account_frozen` act through the same
/// services as their own endpoints.
#[utoipa::path(operation_id = "admin_case_resolve", tag = "staff", params(("id" = Uuid, Path, description = "the case")),
    request_body = ResolveRequest,
    responses((status = 200, body = CaseDetail),
        (status = 400, body = Problem, description = "unknown `outcome`, `note` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such case", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`case-resolved`, `already-reversed`, `approval-pending`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`account-closed`, `reversal-not-reversible`, `insufficient-funds`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/cases/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    staff: Requires<perm::CasesManage>,
    id: web::Path<Uuid>,
    body: web::Json<ResolveRequest>,
) -> Result<HttpResponse, Error> {
    let why = Reason::parse("note", body.note.as_deref(), crate::reason::REASON_MAX)?;
    Ok(HttpResponse::Ok().json(state.cases.resolve(&staff.actor, *id, body.outcome, &why).await?))
}
