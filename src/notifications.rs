//! Staff notifications: things a person at the bank should look at (a KYC submission waiting
//! for review, a transfer flagged as unusual). Written in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
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

/// A row of `staff_notifications`, as stored.
#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: String,
    at: String,
    kind: String,
    subject_type: String,
    subject_id: String,
    message: String,
}

impl NotificationRow {
    // Ids and times decode here until `crate::db::decode` is the one place for both.
    fn decode(self) -> Result<Notification, sqlx::Error> {
        Ok(Notification {
            id: Uuid::parse_str(&self.id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            at: time::from_db(&self.at)?,
            kind: self.kind,
            subject_type: self.subject_type,
            subject_id: self.subject_id,
            message: self.message,
        })
    }
}

/// Newest first; `before` is the id the previous page ended at.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db, limit: u32, before: Option<Uuid>) -> Result<Vec<Notification>, sqlx::Error> {
    let rows: Vec<NotificationRow> = match before {
        None => {
            sqlx::query_as(
                "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(db.reader())
            .await?
        }
        Some(before) => {
            sqlx::query_as(
                "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications WHERE id < $1 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.to_string())
            .bind(i64::from(limit))
            .fetch_all(db.reader())
            .await?
        }
    };
    rows.into_iter().map(NotificationRow::decode).collect()
}
