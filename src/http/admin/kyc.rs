//! Staff KYC review: the queue of submitted users with their documents, the decision, and signed
//! links to any customer's document. Each needs `kyc:review`, MFA enabled and a session that
//! passed MFA.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::limit;
use crate::documents::{Access, SignedLink};
use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::kyc::{Decision, KycState, QueueEntry};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// 1 to 200, default 50: the oldest submissions first.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KycQueue {
    pub items: Vec<QueueEntry>,
    /// Always null: reviewed users leave the queue, so the next page is the first one again.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "reason": "the document is unreadable"}))]
pub struct ReviewRequest {
    pub decision: Decision,
    /// Required to reject; the customer reads it (at most 1000 characters).
    pub reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewResult {
    pub user_id: Uuid,
    #[serde(flatten)]
    pub state: KycState,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The version to link; the latest when absent.
    version: Option<i64>,
}

/// Users awaiting review, oldest first, each with the latest version of every document.
#[utoipa::path(operation_id = "admin_kyc_queue", tag = "staff", params(QueueQuery),
    responses((status = 200, body = KycQueue),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/kyc")]
pub async fn queue(
    state: web::Data<AppState>,
    staff: Requires<perm::KycReview>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, Error> {
    let items = state.kyc.review_queue(&staff.actor, i64::from(limit(query.limit)?)).await?;
    Ok(HttpResponse::Ok().json(KycQueue { items, next_cursor: None }))
}

/// Approve or reject a user's pending submission; the user is emailed the decision.
#[utoipa::path(operation_id = "admin_kyc_review", tag = "staff", request_body = ReviewRequest,
    responses((status = 200, body = ReviewResult),
        (status = 400, body = Problem, description = "a rejection without a reason", content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such user", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`kyc-not-submitted`: nothing awaits review", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/kyc/{user_id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    staff: Requires<perm::KycReview>,
    user_id: web::Path<Uuid>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, Error> {
    let (user_id, body) = (user_id.into_inner(), body.into_inner());
    let reviewer = staff.user.user_id;
    let decided = state.kyc.review(&staff.actor, reviewer, user_id, body.decision, body.reason.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ReviewResult { user_id, state: decided }))
}

/// A signed link (5 minutes, for the calling reviewer and one version) to any customer's document.
#[utoipa::path(operation_id = "admin_document_download", tag = "staff", params(LinkQuery),
    responses((status = 200, body = SignedLink),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such document or version", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`document-not-clean`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/documents/{id}/download")]
pub async fn document_link(
    state: web::Data<AppState>,
    staff: Requires<perm::KycReview>,
    id: web::Path<Uuid>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, Error> {
    let link = state.documents.link(staff.user.user_id, &Access::Staff, *id, query.version).await?;
    Ok(HttpResponse::Ok().json(link))
}
