//! The KYC rules: submit needs a clean identity document; one decision per submission; a
//! rejection needs a reason; a rejected user may submit again.

use actix_web::http::StatusCode;
use serde_json::json;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::store::{self, IdentityDocument};
use super::{Decision, KycState, KycStatus};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Dialect, time};
use crate::error::{ApiError, FieldErrors, Problem};

const NOT_STARTED: KycState =
    KycState { status: KycStatus::NotStarted, submitted_at: None, reviewed_at: None, rejection_reason: None };

/// `GET /v1/kyc`.
pub async fn state(db: &Db, user_id: Uuid) -> Result<KycState, ApiError> {
    let mut conn = db.reader().acquire().await?;
    Ok(store::latest(&mut conn, user_id).await?.map_or(NOT_STARTED, |l| l.state))
}

/// Submits the user's clean identity documents for review, in the caller's transaction.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn submit(
    conn: &mut AnyConnection,
    dialect: Dialect,
    actor: &Actor,
    user_id: Uuid,
) -> Result<KycState, ApiError> {
    let latest = store::latest(conn, user_id).await?;
    let old = latest.as_ref().map_or(KycStatus::NotStarted, |l| l.state.status);
    match old {
        KycStatus::Submitted => {
            return Err(conflict("kyc-already-submitted", "KYC is already submitted and awaiting review"));
        }
        KycStatus::Approved => return Err(conflict("kyc-already-approved", "KYC is already approved")),
        KycStatus::NotStarted | KycStatus::Rejected => {}
    }
    let documents = store::identity_documents(conn, user_id).await?;
    let clean: Vec<String> =
        documents.iter().filter(|d| d.status.as_deref() == Some("clean")).map(|d| d.version_id.clone()).collect();
    if clean.is_empty() {
        return Err(missing(&documents));
    }
    let seq = latest.map_or(1, |l| l.seq + 1);
    store::insert_submission(conn, user_id, seq, &clean).await.map_err(unique_as_conflict)?;
    mirror(conn, user_id, KycStatus::Submitted).await?;
    audit::append(conn, dialect, actor, event("kyc.submit", user_id, old, KycStatus::Submitted, None)).await?;
    Ok(store::latest(conn, user_id).await?.map_or(NOT_STARTED, |l| l.state))
}

/// Records a staff decision on the user's pending submission, in the caller's transaction.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn review(
    conn: &mut AnyConnection,
    dialect: Dialect,
    actor: &Actor,
    reviewer_id: Uuid,
    user_id: Uuid,
    decision: Decision,
    reason: Option<&str>,
) -> Result<KycState, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let field_error = |message: &str| -> ApiError {
        let errors: FieldErrors = [("reason".to_owned(), vec![message.to_owned()])].into_iter().collect();
        Problem::invalid_fields(errors).into()
    };
    if decision == Decision::Reject && reason.is_none() {
        return Err(field_error("a reason is required to reject"));
    }
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(field_error("reason must be at most 1000 characters"));
    }
    let pending = store::latest(conn, user_id).await?.filter(|l| l.state.status == KycStatus::Submitted);
    let pending =
        pending.ok_or_else(|| conflict("kyc-not-submitted", "this user has no KYC submission awaiting review"))?;
    let (stored, new) = match decision {
        Decision::Approve => ("approved", KycStatus::Approved),
        Decision::Reject => ("rejected", KycStatus::Rejected),
    };
    store::insert_review(conn, pending.id, reviewer_id, stored, reason).await.map_err(unique_as_conflict)?;
    mirror(conn, user_id, new).await?;
    audit::append(conn, dialect, actor, event("kyc.review", user_id, KycStatus::Submitted, new, reason)).await?;
    Ok(store::latest(conn, user_id).await?.map_or(NOT_STARTED, |l| l.state))
}

/// Identity's `users.kyc_status` (what access tokens carry and account opening checks) follows
/// the KYC tables in the same transaction.
async fn mirror(conn: &mut AnyConnection, user_id: Uuid, status: KycStatus) -> Result<(), ApiError> {
    let updated = sqlx::query("UPDATE users SET kyc_status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(time::to_db(time::now()))
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    if updated.rows_affected() == 1 { Ok(()) } else { Err(Problem::not_found("user").into()) }
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

fn conflict(slug: &str, detail: &str) -> ApiError {
    Problem::new(StatusCode::CONFLICT, slug, detail).into()
}

/// Two requests raced (SQLite serializes writers, PostgreSQL reports the collision).
fn unique_as_conflict(error: sqlx::Error) -> ApiError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            conflict("conflict", "another request changed this KYC state at the same time; reload and retry")
        }
        _ => error.into(),
    }
}

/// 422 naming what is missing, document by document.
fn missing(documents: &[IdentityDocument]) -> ApiError {
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
    let detail = format!(
        "a clean identity document (government_id, passport or drivers_license) is required: {}",
        notes.join("; ")
    );
    let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "kyc-documents-missing", detail);
    problem.errors.insert("documents".to_owned(), notes);
    problem.into()
}
