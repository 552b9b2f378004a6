//! The KYC tables' SQL (one code path for both engines), and the `users.kyc_status` mirror.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::{KycState, KycStatus};
use crate::db::{decode, time};

/// A user's latest submission and its review, if any.
pub struct Latest {
    pub id: Uuid,
    pub seq: i64,
    pub state: KycState,
}

#[derive(sqlx::FromRow)]
struct LatestRow {
    id: String,
    seq: i64,
    submitted_at: String,
    decision: Option<String>,
    reason: Option<String>,
    reviewed_at: Option<String>,
}

impl LatestRow {
    fn decode(self) -> Result<Latest, sqlx::Error> {
        let status = match self.decision.as_deref() {
            None => KycStatus::Submitted,
            Some("approved") => KycStatus::Approved,
            Some(_) => KycStatus::Rejected,
        };
        Ok(Latest {
            id: decode::uuid(&self.id)?,
            seq: self.seq,
            state: KycState {
                status,
                submitted_at: Some(decode::time(&self.submitted_at)?),
                reviewed_at: decode::opt_time(self.reviewed_at)?,
                rejection_reason: self.reason,
            },
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn latest(conn: &mut AnyConnection, user_id: Uuid) -> Result<Option<Latest>, sqlx::Error> {
    let row: Option<LatestRow> = sqlx::query_as(
        "SELECT s.id, s.seq, s.submitted_at, r.decision, r.reason, r.reviewed_at FROM kyc_submissions s \
         LEFT JOIN kyc_reviews r ON r.submission_id = s.id WHERE s.user_id = $1 ORDER BY s.seq DESC LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(LatestRow::decode).transpose()
}

/// One submission and its review, if any, as a user's data export lists it (the reviewer is
/// staff's data and is left out).
#[derive(Debug, serde::Serialize, sqlx::FromRow)]
pub struct HistoryEntry {
    pub seq: i64,
    pub submitted_at: String,
    /// JSON array of the document versions submitted.
    pub document_version_ids: String,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub reviewed_at: Option<String>,
}

/// Every submission of the user, oldest first, with its review.
#[tracing::instrument(skip_all)]
pub async fn history(pool: &AnyPool, user_id: Uuid) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.seq, s.submitted_at, s.document_version_ids, r.decision, r.reason, r.reviewed_at \
         FROM kyc_submissions s LEFT JOIN kyc_reviews r ON r.submission_id = s.id WHERE s.user_id = $1 ORDER BY s.seq",
    )
    .bind(user_id.to_string())
    .fetch_all(pool)
    .await
}

/// The latest version of one of the user's identity documents.
#[derive(sqlx::FromRow)]
pub struct IdentityDocument {
    /// The version's id.
    pub id: String,
    pub document_type: String,
    pub name: String,
    /// `None` while pending scan.
    pub status: Option<String>,
    pub rejection_reason: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn identity_documents(conn: &mut AnyConnection, user_id: Uuid) -> Result<Vec<IdentityDocument>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, d.document_type, d.name, s.status, s.rejection_reason FROM documents d \
         JOIN document_versions v ON v.document_id = d.id LEFT JOIN document_scans s ON s.version_id = v.id \
         WHERE d.owner_id = $1 AND d.document_type IN ('government_id', 'passport', 'drivers_license') \
         AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id) ORDER BY d.created_at",
    )
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_submission(
    conn: &mut AnyConnection,
    user_id: Uuid,
    seq: i64,
    version_ids: &[String],
) -> Result<String, sqlx::Error> {
    let at = time::to_db(time::now());
    sqlx::query(
        "INSERT INTO kyc_submissions (id, user_id, seq, document_version_ids, submitted_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(user_id.to_string())
    .bind(seq)
    .bind(serde_json::to_string(version_ids).unwrap_or_default())
    .bind(&at)
    .execute(conn)
    .await?;
    Ok(at)
}

#[tracing::instrument(skip_all)]
pub async fn insert_review(
    conn: &mut AnyConnection,
    submission_id: Uuid,
    reviewer_id: Uuid,
    decision: &str,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO kyc_reviews (submission_id, reviewer_id, decision, reason, reviewed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(submission_id.to_string())
    .bind(reviewer_id.to_string())
    .bind(decision)
    .bind(reason)
    .bind(time::to_db(time::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets identity's `users.kyc_status`; `false` when there is no such user.
#[tracing::instrument(skip_all)]
pub async fn set_user_status(conn: &mut AnyConnection, user_id: Uuid, status: KycStatus) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query("UPDATE users SET kyc_status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(time::to_db(time::now()))
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(updated.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct WaitingRow {
    user_id: String,
    submitted_at: String,
}

/// Users whose latest submission awaits review, oldest first.
#[tracing::instrument(skip_all)]
pub async fn queue(pool: &AnyPool, limit: i64) -> Result<Vec<(Uuid, DateTime<Utc>)>, sqlx::Error> {
    let rows: Vec<WaitingRow> = sqlx::query_as(
        "SELECT s.user_id, s.submitted_at FROM kyc_submissions s LEFT JOIN kyc_reviews r ON r.submission_id = s.id \
         WHERE r.submission_id IS NULL ORDER BY s.submitted_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok((decode::uuid(&r.user_id)?, decode::time(&r.submitted_at)?))).collect()
}

/// When the user's submission awaiting review was made; `None` when nothing of theirs awaits.
pub async fn waiting_since(pool: &AnyPool, user_id: Uuid) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let row: Option<WaitingRow> = sqlx::query_as(
        "SELECT s.user_id, s.submitted_at FROM kyc_submissions s LEFT JOIN kyc_reviews r ON r.submission_id = s.id \
         WHERE r.submission_id IS NULL AND s.user_id = $1 ORDER BY s.submitted_at LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(pool)
    .await?;
    row.map(|r| decode::time(&r.submitted_at)).transpose()
}

#[derive(sqlx::FromRow)]
struct LevelRow {
    waiting: i64,
    oldest: Option<String>,
}

/// Submissions awaiting review, and when the oldest was submitted.
#[tracing::instrument(skip_all)]
pub async fn queue_level(pool: &AnyPool) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    let row: LevelRow = sqlx::query_as(
        "SELECT COUNT(*) AS waiting, MIN(s.submitted_at) AS oldest FROM kyc_submissions s \
         LEFT JOIN kyc_reviews r ON r.submission_id = s.id WHERE r.submission_id IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok((row.waiting, decode::opt_time(row.oldest)?))
}
