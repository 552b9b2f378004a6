//! The `exports` table's SQL (one code path for both engines).

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::model::{Export, ExportKind, ExportStatus, Format};
use crate::db::{decode, time};

/// An export's row as stored, without its payload.
#[derive(sqlx::FromRow)]
struct ExportRow {
    id: String,
    kind: String,
    user_id: String,
    format: String,
    filters: Option<String>,
    status: String,
    requested_at: String,
    expires_at: Option<String>,
}

fn known<T>(value: Option<T>, what: &str) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| sqlx::Error::Decode(format!("exports: unknown {what}").into()))
}

impl ExportRow {
    fn decode(self) -> Result<Export, sqlx::Error> {
        Ok(Export {
            id: decode::uuid(&self.id)?,
            kind: known(ExportKind::parse(&self.kind), "kind")?,
            user_id: decode::uuid(&self.user_id)?,
            format: known(Format::parse(&self.format), "format")?,
            filters: self
                .filters
                .map(|f| serde_json::from_str(&f))
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            status: known(ExportStatus::parse(&self.status), "status")?,
            requested_at: decode::time(&self.requested_at)?,
            expires_at: decode::opt_time(self.expires_at)?,
        })
    }
}

/// A ready export's row with its sealed file.
#[derive(sqlx::FromRow)]
struct PayloadRow {
    #[sqlx(flatten)]
    export: ExportRow,
    payload: Option<String>,
}

const COLUMNS: &str = "id, kind, user_id, format, filters, status, requested_at, expires_at";

/// Records a request; the caller enqueues its job in the same transaction.
#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
pub async fn find(pool: &AnyPool, id: Uuid) -> Result<Option<Export>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1");
    let row: Option<ExportRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.map(ExportRow::decode).transpose()
}

/// The sealed file of a ready export that has not expired at `now`, while the user it was made
/// for is not deleted and has not ended every session since asking for it.
#[tracing::instrument(skip_all)]
pub async fn payload(pool: &AnyPool, id: Uuid, now: DateTime<Utc>) -> Result<Option<(Export, String)>, sqlx::Error> {
    let columns = COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns}, e.payload FROM exports e JOIN users u ON u.id = e.user_id \
         WHERE e.id = $1 AND e.status = 'ready' AND e.expires_at > $2 AND u.status <> 'deleted' \
         AND (u.sessions_revoked_at IS NULL OR u.sessions_revoked_at < e.requested_at)"
    );
    let row: Option<PayloadRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(time::to_db(now))
        .fetch_optional(pool)
        .await?;
    let Some(PayloadRow { export, payload: Some(payload) }) = row else { return Ok(None) };
    Ok(Some((export.decode()?, payload)))
}

/// Stores the finished file, if the export is still pending (another worker may have built it
/// first). Returns whether this call finished it.
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
pub async fn fail(pool: &AnyPool, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE exports SET status = 'failed', error = $1, completed_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(error)
    .bind(time::to_db(time::now()))
    .bind(id.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

/// Pending requests made between `since` and `until`, oldest first (for the sweeper).
#[tracing::instrument(skip_all)]
pub async fn pending(
    pool: &AnyPool,
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
    .fetch_all(pool)
    .await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}

/// Drops the files of exports that expired before `now`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn expire(pool: &AnyPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE exports SET status = 'expired', payload = NULL WHERE status = 'ready' AND expires_at <= $1",
    )
    .bind(time::to_db(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
