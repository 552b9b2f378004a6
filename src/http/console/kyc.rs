//! The KYC queue (`kyc:review`): the oldest submissions first; one submission with its documents
//! shown inline (images; PDFs as the staff safe rendition) beside the identity the customer
//! declared (`pii:read`, audited as a PII read), and the decision with its reason.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::{StaffSession, check_form};
use super::refusal::Refusal;
use super::render::{Notice, done, page, value};
use crate::authz::Permission;
use crate::http::browser_session::BrowserSessions;
use crate::kyc::Decision;
use crate::state::AppState;

/// How many submissions the queue page lists (reviewed ones leave it).
const QUEUE_PAGE: i64 = 50;

console_page!("console_kyc_queue", [Notice] []
/// The KYC queue, oldest first. HTML.
#[get("/console/kyc")]
pub async fn queue(state: web::Data<AppState>, staff: StaffSession, notice: web::Query<Notice>) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::KycReview).await?;
    let items = state.kyc.review_queue(&actor, QUEUE_PAGE).await?;
    page(&staff, "kyc", "KYC queue", "kyc_queue.html", Some(&notice), json!({"items": value(&items)?}))
});

console_page!("console_kyc_submission", [("user_id" = Uuid, Path, description = "the customer"), Notice]
    [(status = 404, content_type = "text/html", body = String, description = "nothing of this user awaits review")]
/// One submission: the documents inline beside the declared identity, and the decision form. HTML.
#[get("/console/kyc/{user_id}")]
pub async fn submission(
    state: web::Data<AppState>,
    staff: StaffSession,
    user_id: web::Path<Uuid>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    let actor = staff.require(&state, Permission::KycReview).await?;
    let pii_reader =
        if staff.may(Permission::PiiRead) { Some(staff.require(&state, Permission::PiiRead).await?) } else { None };
    let submission = state.kyc.review_submission(&actor, staff.user_id(), *user_id, pii_reader.as_ref()).await?;
    let mut documents = Vec::with_capacity(submission.documents.len());
    for (document, link) in &submission.documents {
        let mut shown = value(document)?;
        shown["url"] = Value::String(link.url.clone());
        shown["image"] = Value::Bool(document.content_type.starts_with("image/"));
        documents.push(shown);
    }
    let identity = submission.identity.as_ref().map(value).transpose()?;
    let entry = &submission.entry;
    let data = json!({"entry": value(&entry)?, "documents": documents, "identity": identity});
    page(&staff, "kyc", "KYC review", "kyc_review.html", Some(&notice), data)
});

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf_token": "<from the page's form>", "decision": "reject", "reason": "the document is unreadable"}))]
pub struct ReviewForm {
    csrf_token: String,
    decision: Decision,
    /// Required to reject; the customer reads it.
    reason: Option<String>,
}

console_action!("console_kyc_review", [("user_id" = Uuid, Path, description = "the customer")] ReviewForm
    [(status = 404, content_type = "text/html", body = String, description = "no such user"),
     (status = 409, content_type = "text/html", body = String, description = "nothing awaits review")]
/// Approves or rejects the submission (as `POST /v1/admin/kyc/{user_id}/review`); the customer is
/// emailed.
#[post("/console/kyc/{user_id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    browser: web::Data<BrowserSessions>,
    req: HttpRequest,
    staff: StaffSession,
    user_id: web::Path<Uuid>,
    posted: web::Form<ReviewForm>,
) -> Result<HttpResponse, Refusal> {
    check_form(&browser, &req, &posted.csrf_token)?;
    let actor = staff.require(&state, Permission::KycReview).await?;
    let reason = posted.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    state.kyc.review(&actor, staff.user_id(), *user_id, posted.decision, reason).await?;
    Ok(done("/console/kyc", "reviewed"))
});
