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
    acknowledged_at: Option<String>,
    acknowledged_by: Option<String>,
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
            acknowledged_at: decode::opt_time(self.acknowledged_at)?,
            acknowledged_by: self.acknowledged_by.as_deref().map(decode::uuid).transpose()?,
        })
    }
}

/// Newest first; `before` is the id the previous page ended at; acknowledged ones only when
/// `include_acknowledged`.
#[tracing::instrument(skip_all)]
pub async fn page(
    reader: &AnyPool,
    limit: u32,
    before: Option<Uuid>,
    include_acknowledged: bool,
) -> Result<Vec<Notification>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, at, kind, subject_type, subject_id, message, acknowledged_at, acknowledged_by \
         FROM staff_notifications WHERE 1 = 1",
    );
    if !include_acknowledged {
        sql.push_str(" AND acknowledged_at IS NULL");
    }
    if before.is_some() {
        sql.push_str(" AND id < $2");
    }
    sql.push_str(" ORDER BY id DESC LIMIT $1");
    let mut query = sqlx::query_as::<_, NotificationRow>(sqlx::AssertSqlSafe(sql)).bind(i64::from(limit));
    if let Some(before) = before {
        query = query.bind(before.to_string());
    }
    query.fetch_all(reader).await?.into_iter().map(NotificationRow::decode).collect()
}

/// Marks a notification acknowledged (the first acknowledgement is kept); false when there is
/// no such notification.
#[tracing::instrument(skip_all)]
pub async fn acknowledge(conn: &mut AnyConnection, id: Uuid, by: Option<Uuid>) -> Result<bool, sqlx::Error> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT acknowledged_at FROM staff_notifications WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match found {
        None => Ok(false),
        Some(Some(_)) => Ok(true),
        Some(None) => {
            sqlx::query(
                "UPDATE staff_notifications SET acknowledged_at = $1, acknowledged_by = $2 \
                 WHERE id = $3 AND acknowledged_at IS NULL",
            )
            .bind(time::to_db(time::now()))
            .bind(by.map(|b| b.to_string()))
            .bind(id.to_string())
            .execute(conn)
            .await?;
            Ok(true)
        }
    }
}
