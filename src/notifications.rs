//! Staff notifications: things a person at the bank should look at (a KYC submission waiting
//! for review, a transfer flagged as unusual). Written in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::{Db, time};

pub const KYC_SUBMITTED: &str = "kyc_submitted";
pub const TRANSFER_FLAGGED: &str = "transfer_flagged";
pub const LEDGER_DISCREPANCY: &str = "ledger_discrepancy";

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub message: String,
}

#[tracing::instrument(skip_all, fields(kind = kind))]
pub async fn notify(
    conn: &mut AnyConnection,
    kind: &'static str,
    subject_type: &'static str,
    subject_id: &str,
    message: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO staff_notifications (id, at, kind, subject_type, subject_id, message) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(time::to_db(time::now()))
    .bind(kind)
    .bind(subject_type)
    .bind(subject_id)
    .bind(message)
    .execute(conn)
    .await?;
    metrics::counter!("staff_notifications_total", "kind" => kind).increment(1);
    Ok(id)
}

/// Newest first; `before` is the id the previous page ended at.
pub async fn list(db: &Db, limit: u32, before: Option<Uuid>) -> Result<Vec<Notification>, sqlx::Error> {
    let rows = match before {
        None => sqlx::query(
            "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(db.reader())
        .await?,
        Some(before) => {
            sqlx::query(
                "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications WHERE id < $1 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.to_string())
            .bind(i64::from(limit))
            .fetch_all(db.reader())
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(Notification {
                id: Uuid::parse_str(&row.try_get::<String, _>("id")?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                at: time::from_db(&row.try_get::<String, _>("at")?)?,
                kind: row.try_get("kind")?,
                subject_type: row.try_get("subject_type")?,
                subject_id: row.try_get("subject_id")?,
                message: row.try_get("message")?,
            })
        })
        .collect()
}
