//! The `exports` table.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::{Db, time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Everything held about one user, for that user.
    User,
    /// Audit log entries matching a filter, for staff.
    Audit,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Audit => "audit",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Self::User, Self::Audit].into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Self::Json, Self::Csv].into_iter().find(|f| f.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Pending,
    Ready,
    Failed,
    Expired,
}

impl ExportStatus {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// An export's row, without its payload.
#[derive(Clone, Debug)]
pub struct Export {
    pub id: Uuid,
    pub kind: ExportKind,
    pub user_id: Uuid,
    pub format: Format,
    pub filters: Option<serde_json::Value>,
    pub status: ExportStatus,
    pub requested_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn decode<T>(value: Option<T>, what: &str) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| sqlx::Error::Decode(format!("exports: unknown {what}").into()))
}

fn export(row: &sqlx::any::AnyRow) -> Result<Export, sqlx::Error> {
    let uuid = |column: &str| -> Result<Uuid, sqlx::Error> {
        Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    };
    let filters: Option<String> = row.try_get("filters")?;
    Ok(Export {
        id: uuid("id")?,
        kind: decode(ExportKind::parse(&row.try_get::<String, _>("kind")?), "kind")?,
        user_id: uuid("user_id")?,
        format: decode(Format::parse(&row.try_get::<String, _>("format")?), "format")?,
        filters: filters.map(|f| serde_json::from_str(&f)).transpose().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        status: decode(ExportStatus::parse(&row.try_get::<String, _>("status")?), "status")?,
        requested_at: time::from_db(&row.try_get::<String, _>("requested_at")?)?,
        expires_at: row.try_get::<Option<String>, _>("expires_at")?.map(|t| time::from_db(&t)).transpose()?,
    })
}

const COLUMNS: &str = "id, kind, user_id, format, filters, status, requested_at, expires_at";

/// Records a request; the caller enqueues its job in the same transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    kind: ExportKind,
    user_id: Uuid,
    format: Format,
    filters: Option<&serde_json::Value>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO exports (id, kind, user_id, format, filters, status, requested_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(id.to_string())
    .bind(kind.as_str())
    .bind(user_id.to_string())
    .bind(format.as_str())
    .bind(filters.map(serde_json::Value::to_string))
    .bind(time::to_db(time::now()))
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn find(db: &Db, id: Uuid) -> Result<Option<Export>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(db.reader()).await?;
    row.as_ref().map(export).transpose()
}

/// The sealed file of a ready export that has not expired at `now`.
pub async fn payload(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<Option<(Export, String)>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}, payload FROM exports WHERE id = $1 AND status = 'ready' AND expires_at > $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(time::to_db(now))
        .fetch_optional(db.reader())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let payload: Option<String> = row.try_get("payload")?;
    payload.map(|payload| export(&row).map(|export| (export, payload))).transpose()
}

/// Stores the finished file, if the export is still pending (another worker may have built it
/// first). Returns whether this call finished it.
pub async fn finish(
    conn: &mut AnyConnection,
    id: Uuid,
    sealed: &str,
    size: usize,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let now = time::to_db(time::now());
    let done = sqlx::query(
        "UPDATE exports SET status = 'ready', payload = $1, size = $2, completed_at = $3, expires_at = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(sealed)
    .bind(i64::try_from(size).unwrap_or(i64::MAX))
    .bind(now)
    .bind(time::to_db(expires_at))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a pending export failed (its subject is gone, or it can never be built).
pub async fn fail(db: &Db, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE exports SET status = 'failed', error = $1, completed_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(error)
    .bind(time::to_db(time::now()))
    .bind(id.to_string())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Pending requests made between `since` and `until`, oldest first (for the sweeper).
pub async fn pending(
    db: &Db,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM exports WHERE status = 'pending' AND requested_at >= $1 AND requested_at < $2 \
         ORDER BY requested_at LIMIT $3",
    )
    .bind(time::to_db(since))
    .bind(time::to_db(until))
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    ids.iter().map(|id| Uuid::parse_str(id).map_err(|e| sqlx::Error::Decode(Box::new(e)))).collect()
}

/// Drops the files of exports that expired before `now`; returns how many.
pub async fn expire(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE exports SET status = 'expired', payload = NULL WHERE status = 'ready' AND expires_at <= $1",
    )
    .bind(time::to_db(now))
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}
