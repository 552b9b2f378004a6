//! Reading versions as clients see them, with their scan status.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::model::{DocumentType, DocumentVersion, ScanStatus};
use super::rows::{Access, parse_uuid};
use crate::db::{Db, time};

macro_rules! select_versions {
    ($tail:literal) => {
        concat!(
            "SELECT d.id AS document_id, v.id AS version_id, d.owner_id, d.name, d.document_type, v.version, \
             s.status, s.rejection_reason, v.content_type, v.size, v.sha256, v.created_at \
             FROM document_versions v JOIN documents d ON d.id = v.document_id \
             LEFT JOIN document_scans s ON s.version_id = v.id ",
            $tail
        )
    };
}

/// One version as clients see it, with its scan status.
pub async fn version(conn: &mut AnyConnection, version_id: Uuid) -> Result<Option<DocumentVersion>, sqlx::Error> {
    sqlx::query(select_versions!("WHERE v.id = $1"))
        .bind(version_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| decode(&row))
        .transpose()
}

/// The latest version of each of the owner's documents, oldest document first.
#[tracing::instrument(skip_all)]
pub async fn latest(db: &Db, access: &Access) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let sql = select_versions!(
        "WHERE ($1 = 1 OR d.owner_id = $2) \
         AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id) \
         ORDER BY d.created_at, d.id"
    );
    fetch(db, scoped(sql, access)).await
}

/// Every version of one document, newest first; empty when it is missing or not the caller's.
#[tracing::instrument(skip_all, fields(%document_id))]
pub async fn versions(db: &Db, access: &Access, document_id: Uuid) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let sql = select_versions!("WHERE ($1 = 1 OR d.owner_id = $2) AND d.id = $3 ORDER BY v.version DESC");
    fetch(db, scoped(sql, access).bind(document_id.to_string())).await
}

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// `sql` with `$1, $2` bound to the `($1 = 1 OR d.owner_id = $2)` access filter.
fn scoped(sql: &'static str, access: &Access) -> AnyQuery {
    let (staff, owner) = access.binds();
    sqlx::query(sql).bind(staff).bind(owner)
}

async fn fetch(db: &Db, query: AnyQuery) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    query.fetch_all(db.reader()).await?.iter().map(decode).collect()
}

/// Versions that have no verdict yet and were uploaded before `before`: the sweeper's work.
#[tracing::instrument(skip_all)]
pub async fn pending_scans(
    db: &Db,
    before: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT v.id FROM document_versions v LEFT JOIN document_scans s ON s.version_id = v.id \
         WHERE s.version_id IS NULL AND v.created_at < $1 ORDER BY v.created_at LIMIT $2",
    )
    .bind(time::to_db(before))
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    ids.iter().map(|id| parse_uuid(id)).collect()
}

fn decode(row: &AnyRow) -> Result<DocumentVersion, sqlx::Error> {
    let status = match row.try_get::<Option<String>, _>("status")?.as_deref() {
        None => ScanStatus::PendingScan,
        Some("clean") => ScanStatus::Clean,
        Some(_) => ScanStatus::Rejected,
    };
    let kind: String = row.try_get("document_type")?;
    Ok(DocumentVersion {
        id: parse_uuid(&row.try_get::<String, _>("document_id")?)?,
        version_id: parse_uuid(&row.try_get::<String, _>("version_id")?)?,
        owner_id: parse_uuid(&row.try_get::<String, _>("owner_id")?)?,
        name: row.try_get("name")?,
        document_type: DocumentType::parse(&kind).map_err(|e| sqlx::Error::Decode(e.into()))?,
        version: row.try_get("version")?,
        status,
        rejection_reason: row.try_get("rejection_reason")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at: time::from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}
