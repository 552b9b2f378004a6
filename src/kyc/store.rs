//! The KYC tables' SQL (one code path for both engines).

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{KycState, KycStatus};
use crate::db::{Db, time};
use crate::documents::rows::parse_uuid;

/// A user's latest submission and its review, if any.
pub struct Latest {
    pub id: Uuid,
    pub seq: i64,
    pub state: KycState,
}

pub async fn latest(conn: &mut AnyConnection, user_id: Uuid) -> Result<Option<Latest>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT s.id, s.seq, s.submitted_at, r.decision, r.reason, r.reviewed_at FROM kyc_submissions s \
         LEFT JOIN kyc_reviews r ON r.submission_id = s.id WHERE s.user_id = $1 ORDER BY s.seq DESC LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    let status = match row.try_get::<Option<String>, _>("decision")?.as_deref() {
        None => KycStatus::Submitted,
        Some("approved") => KycStatus::Approved,
        Some(_) => KycStatus::Rejected,
    };
    let reviewed_at = row.try_get::<Option<String>, _>("reviewed_at")?.map(|t| time::from_db(&t)).transpose()?;
    Ok(Some(Latest {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        seq: row.try_get("seq")?,
        state: KycState {
            status,
            submitted_at: Some(time::from_db(&row.try_get::<String, _>("submitted_at")?)?),
            reviewed_at,
            rejection_reason: row.try_get("reason")?,
        },
    }))
}

/// The latest version of one of the user's identity documents.
pub struct IdentityDocument {
    pub version_id: String,
    pub document_type: String,
    pub name: String,
    /// `None` while pending scan.
    pub status: Option<String>,
    pub rejection_reason: Option<String>,
}

pub async fn identity_documents(conn: &mut AnyConnection, user_id: Uuid) -> Result<Vec<IdentityDocument>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT v.id, d.document_type, d.name, s.status, s.rejection_reason FROM documents d \
         JOIN document_versions v ON v.document_id = d.id LEFT JOIN document_scans s ON s.version_id = v.id \
         WHERE d.owner_id = $1 AND d.document_type IN ('government_id', 'passport', 'drivers_license') \
         AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id) ORDER BY d.created_at",
    )
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(IdentityDocument {
                version_id: r.try_get("id")?,
                document_type: r.try_get("document_type")?,
                name: r.try_get("name")?,
                status: r.try_get("status")?,
                rejection_reason: r.try_get("rejection_reason")?,
            })
        })
        .collect()
}

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

/// Users whose latest submission awaits review, oldest first.
pub async fn queue(db: &Db, limit: i64) -> Result<Vec<(Uuid, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.user_id, s.submitted_at FROM kyc_submissions s LEFT JOIN kyc_reviews r ON r.submission_id = s.id \
         WHERE r.submission_id IS NULL ORDER BY s.submitted_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                parse_uuid(&r.try_get::<String, _>("user_id")?)?,
                time::from_db(&r.try_get::<String, _>("submitted_at")?)?,
            ))
        })
        .collect()
}
