//! Four eyes: asking for a reversal (`transactions:reverse`) or an MFA reset (`mfa:reset`), and
//! listing and deciding the requests (`approvals:decide`).

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{cursor, limit};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ReversalRequested};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::ledger::transaction::Transaction;
use crate::reason::{REASON_MAX, Reason};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "customer disputes a duplicate charge"}))]
pub struct ReasonRequest {
    /// Why (1 to 500 characters), for the approver and the record.
    reason: Option<String>,
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "checked against the statement"}))]
pub struct DecisionRequest {
    /// Optional words for the record (at most 500 characters).
    note: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApprovalQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    status: Option<ApprovalStatus>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApprovalPage {
    items: Vec<ApprovalRequest>,
    next_cursor: Option<String>,
}

fn accepted(request: ApprovalRequest) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/admin/approvals/{}", request.id)))
        .json(request)
}

/// Asks for the reversal of a transaction: 202 with a four-eyes request, or — at or below
/// `[approvals] reverse_above` — 201 with the reversal itself.
#[utoipa::path(operation_id = "admin_reverse_transaction", tag = "staff",
    params(("id" = Uuid, Path, description = "the transaction (journal entry) to reverse")),
    request_body = ReasonRequest,
    responses((status = 201, body = Transaction, description = "reversed at once (at or below `reverse_above`)"),
        (status = 202, body = ApprovalRequest, description = "a pending four-eyes request"),
        (status = 400, body = Problem, description = "`reason` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such transaction", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`already-reversed`, `approval-pending`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`reversal-not-reversible`, `insufficient-funds`, `account-closed`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/transactions/{id}/reverse")]
pub async fn reverse(
    state: web::Data<AppState>,
    staff: Requires<perm::TransactionsReverse>,
    id: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, Error> {
    let reason = Reason::parse("reason", body.reason.as_deref(), REASON_MAX)?;
    match state.approvals.request_reversal(&staff.actor, *id, &reason).await? {
        ReversalRequested::Pending(request) => Ok(accepted(request)),
        ReversalRequested::Posted(body) => Ok(HttpResponse::Created().content_type("application/json").body(body)),
    }
}

/// Asks for the reset of a user's MFA (always four eyes): once approved, the authenticator and
/// backup codes are removed, every session is revoked and the user is emailed.
#[utoipa::path(operation_id = "admin_mfa_reset", tag = "staff",
    params(("id" = Uuid, Path, description = "the user")),
    request_body = ReasonRequest,
    responses((status = 202, body = ApprovalRequest, description = "a pending four-eyes request"),
        (status = 400, body = Problem, description = "`reason` missing or too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such user", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`approval-pending`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/users/{id}/mfa/reset")]
pub async fn mfa_reset(
    state: web::Data<AppState>,
    staff: Requires<perm::MfaReset>,
    id: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, Error> {
    let reason = Reason::parse("reason", body.reason.as_deref(), REASON_MAX)?;
    Ok(accepted(state.approvals.request_mfa_reset(&staff.actor, *id, &reason).await?))
}

/// Four-eyes requests, newest first.
#[utoipa::path(operation_id = "admin_approvals", tag = "staff", params(ApprovalQuery),
    responses((status = 200, body = ApprovalPage),
        (status = 400, body = Problem, description = "bad `status`, `limit` or `cursor`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/approvals")]
pub async fn list(
    state: web::Data<AppState>,
    staff: Requires<perm::ApprovalsDecide>,
    query: web::Query<ApprovalQuery>,
) -> Result<HttpResponse, Error> {
    let (limit, cursor) = (limit(query.limit)?, cursor::<Uuid>(query.cursor.as_deref())?);
    let (items, next_cursor) = state.approvals.list(&staff.actor, query.status, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(ApprovalPage { items, next_cursor }))
}

fn note(body: &[u8]) -> Result<Option<Reason>, Error> {
    let body: DecisionRequest = crate::http::optional_json(body)?;
    Ok(body.note.as_deref().map(|n| Reason::parse("note", Some(n), REASON_MAX)).transpose()?)
}

/// Approves a request and runs its action in the same transaction. A reversal the credited
/// account can no longer pay is 422 `insufficient-funds` and the request stays pending.
#[utoipa::path(operation_id = "admin_approve", tag = "staff",
    params(("id" = Uuid, Path, description = "the request")),
    request_body(content = Option<DecisionRequest>, description = "optional"),
    responses((status = 200, body = ApprovalRequest),
        (status = 400, body = Problem, description = "`note` too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`, `same-approver`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such request", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`approval-decided`, `already-reversed`", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "`insufficient-funds`, `account-closed`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/approvals/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    staff: Requires<perm::ApprovalsDecide>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let note = note(&body)?;
    Ok(HttpResponse::Ok().json(state.approvals.approve(&staff.actor, *id, note.as_ref()).await?))
}

/// Rejects a request.
#[utoipa::path(operation_id = "admin_reject", tag = "staff",
    params(("id" = Uuid, Path, description = "the request")),
    request_body(content = Option<DecisionRequest>, description = "optional"),
    responses((status = 200, body = ApprovalRequest),
        (status = 400, body = Problem, description = "`note` too long", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`, `same-approver`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such request", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`approval-decided`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/approvals/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    staff: Requires<perm::ApprovalsDecide>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let note = note(&body)?;
    Ok(HttpResponse::Ok().json(state.approvals.reject(&staff.actor, *id, note.as_ref()).await?))
}
