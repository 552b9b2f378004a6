//! The `staff_notifications` table's SQL.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::Notification;
use crate::db::{decode, time};

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut AnyConnection,
    id: Uuid,
    kind: &str,
    subject_type: &str,
    subject_id: &str,
    message: &str,
) -> Result<(), sqlx::Error> {
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
    Ok(())
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
    fn decode(self) -> Result<Notification, sqlx::Error> {
        Ok(Notification {
            id: decode::uuid(&self.id)?,
            at: decode::time(&self.at)?,
            kind: self.kind,
            subject_type: self.subject_type,
            subject_id: self.subject_id,
            message: self.message,
        })
    }
}

/// Newest first; `before` is the id the previous page ended at.
#[tracing::instrument(skip_all)]
pub async fn page(reader: &AnyPool, limit: u32, before: Option<Uuid>) -> Result<Vec<Notification>, sqlx::Error> {
    let rows: Vec<NotificationRow> = match before {
        None => {
            sqlx::query_as(
                "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(reader)
            .await?
        }
        Some(before) => {
            sqlx::query_as(
                "SELECT id, at, kind, subject_type, subject_id, message FROM staff_notifications WHERE id < $1 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.to_string())
            .bind(i64::from(limit))
            .fetch_all(reader)
            .await?
        }
    };
    rows.into_iter().map(NotificationRow::decode).collect()
}
