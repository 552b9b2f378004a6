//! The KYC rules, inside the caller's transaction: submit needs a clean identity document; one
//! decision per submission; a rejection needs a reason; a rejected user may submit again.

use serde_json::json;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::error::KycError;
use super::store::{self, IdentityDocument};
use super::{Decision, KycState, KycStatus};
use crate::audit::{self, Actor, Event};
use crate::events::{self, EventType, NewEvent};

pub const NOT_STARTED: KycState =
    KycState { status: KycStatus::NotStarted, submitted_at: None, reviewed_at: None, rejection_reason: None };

/// Submits the user's clean identity documents for review.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn submit(conn: &mut AnyConnection, actor: &Actor, user_id: Uuid) -> Result<KycState, KycError> {
    let latest = store::latest(conn, user_id).await?;
    let old = latest.as_ref().map_or(KycStatus::NotStarted, |l| l.state.status);
    match old {
        KycStatus::Submitted => return Err(KycError::AlreadySubmitted),
        KycStatus::Approved => return Err(KycError::AlreadyApproved),
        KycStatus::NotStarted | KycStatus::Rejected => {}
    }
    let documents = store::identity_documents(conn, user_id).await?;
    let clean: Vec<String> =
        documents.iter().filter(|d| d.status.as_deref() == Some("clean")).map(|d| d.id.clone()).collect();
    if clean.is_empty() {
        return Err(missing(&documents));
    }
    let seq = latest.map_or(1, |l| l.seq + 1);
    store::insert_submission(conn, user_id, seq, &clean).await.map_err(KycError::from_insert)?;
    mirror(conn, user_id, KycStatus::Submitted).await?;
    audit::record(conn, actor, event("kyc.submit", user_id, old, KycStatus::Submitted, None)).await?;
    publish(conn, EventType::KycSubmitted, user_id, "submitted").await?;
    Ok(store::latest(conn, user_id).await?.map_or(NOT_STARTED, |l| l.state))
}

/// The reason a reviewer gave, checked: required to reject, at most 1000 characters.
pub fn reason(decision: Decision, reason: Option<&str>) -> Result<Option<&str>, KycError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if decision == Decision::Reject && reason.is_none() {
        return Err(KycError::InvalidReason("a reason is required to reject"));
    }
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(KycError::InvalidReason("reason must be at most 1000 characters"));
    }
    Ok(reason)
}

/// Records a staff decision (its reason checked by [`reason`]) on the user's pending submission.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn review(
    conn: &mut AnyConnection,
    actor: &Actor,
    reviewer_id: Uuid,
    user_id: Uuid,
    decision: Decision,
    reason: Option<&str>,
) -> Result<KycState, KycError> {
    let pending = store::latest(conn, user_id).await?.filter(|l| l.state.status == KycStatus::Submitted);
    let pending = pending.ok_or(KycError::NotSubmitted)?;
    let (stored, new) = match decision {
        Decision::Approve => ("approved", KycStatus::Approved),
        Decision::Reject => ("rejected", KycStatus::Rejected),
    };
    store::insert_review(conn, pending.id, reviewer_id, stored, reason).await.map_err(KycError::from_insert)?;
    mirror(conn, user_id, new).await?;
    audit::record(conn, actor, event("kyc.review", user_id, KycStatus::Submitted, new, reason)).await?;
    let kind = if new == KycStatus::Approved { EventType::KycApproved } else { EventType::KycRejected };
    publish(conn, kind, user_id, stored).await?;
    Ok(store::latest(conn, user_id).await?.map_or(NOT_STARTED, |l| l.state))
}

/// The user's KYC event (the status only: a rejection's reason stays with staff).
async fn publish(conn: &mut AnyConnection, kind: EventType, user_id: Uuid, status: &str) -> Result<(), KycError> {
    let data = serde_json::json!({"user_id": user_id, "status": status});
    events::record(conn, NewEvent::new(kind, ("user", user_id), Some(user_id), data)).await?;
    Ok(())
}

/// Identity's `users.kyc_status` (what access tokens carry and account opening checks) follows
/// the KYC tables in the same transaction.
async fn mirror(conn: &mut AnyConnection, user_id: Uuid, status: KycStatus) -> Result<(), KycError> {
    if store::set_user_status(conn, user_id, status).await? { Ok(()) } else { Err(KycError::UnknownUser) }
}

fn event(action: &'static str, user_id: Uuid, old: KycStatus, new: KycStatus, reason: Option<&str>) -> Event {
    Event {
        action,
        target_type: "user",
        target_id: Some(user_id.to_string()),
        old: Some(json!({ "kyc_status": old.as_str() })),
        new: Some(json!({ "kyc_status": new.as_str(), "reason": reason })),
    }
}

/// What is missing, document by document.
fn missing(documents: &[IdentityDocument]) -> KycError {
    let mut notes: Vec<String> = documents
        .iter()
        .map(|d| match d.status.as_deref() {
            None => format!("{} {:?} is still being scanned", d.document_type, d.name),
            _ => format!(
                "{} {:?} was rejected: {}",
                d.document_type,
                d.name,
                d.rejection_reason.as_deref().unwrap_or("")
            ),
        })
        .collect();
    if notes.is_empty() {
        notes.push("no identity document has been uploaded".to_owned());
    }
    KycError::DocumentsMissing { notes }
}
