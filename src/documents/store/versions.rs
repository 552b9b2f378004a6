//! `document_versions`: recording the next version of a document, and reading versions as
//! clients see them, with their scan status.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::document_type;
use crate::db::{Dialect, decode, time};
use crate::documents::access::Access;
use crate::documents::model::{DocumentVersion, ScanStatus};

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

/// A version as [`select_versions`] reads it.
#[derive(sqlx::FromRow)]
struct VersionRow {
    document_id: String,
    version_id: String,
    owner_id: String,
    name: String,
    document_type: String,
    version: i64,
    status: Option<String>,
    rejection_reason: Option<String>,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: String,
}

impl VersionRow {
    fn decode(self) -> Result<DocumentVersion, sqlx::Error> {
        let status = match self.status.as_deref() {
            None => ScanStatus::PendingScan,
            Some("clean") => ScanStatus::Clean,
            Some(_) => ScanStatus::Rejected,
        };
        Ok(DocumentVersion {
            id: decode::uuid(&self.document_id)?,
            version_id: decode::uuid(&self.version_id)?,
            owner_id: decode::uuid(&self.owner_id)?,
            name: self.name,
            document_type: document_type(&self.document_type)?,
            version: self.version,
            status,
            rejection_reason: self.rejection_reason,
            content_type: self.content_type,
            size: self.size,
            sha256: self.sha256,
            created_at: decode::time(&self.created_at)?,
        })
    }
}

/// A version about to be recorded; its file is already committed to the store.
pub struct NewVersion<'a> {
    pub id: Uuid,
    pub document_id: Uuid,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub blob_key: &'a str,
    pub data_key: &'a str,
    pub uploaded_by: Uuid,
}

/// Records the next version of a document. The document row is locked first, so concurrent
/// uploads of the same document number their versions one after the other.
#[tracing::instrument(skip_all, fields(document_id = %new.document_id))]
pub async fn insert_version(conn: &mut AnyConnection, new: &NewVersion<'_>) -> Result<i64, sqlx::Error> {
    let lock = format!("SELECT id FROM documents WHERE id = $1{}", Dialect::of(conn).for_update());
    sqlx::query(sqlx::AssertSqlSafe(lock)).bind(new.document_id.to_string()).fetch_one(&mut *conn).await?;
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM document_versions WHERE document_id = $1")
            .bind(new.document_id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO document_versions (id, document_id, version, content_type, size, sha256, blob_key, data_key, \
         uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new.id.to_string())
    .bind(new.document_id.to_string())
    .bind(next)
    .bind(new.content_type)
    .bind(new.size)
    .bind(new.sha256)
    .bind(new.blob_key)
    .bind(new.data_key)
    .bind(new.uploaded_by.to_string())
    .bind(time::to_db(time::now()))
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

/// One version as clients see it, with its scan status.
#[tracing::instrument(skip_all)]
pub async fn version(conn: &mut AnyConnection, version_id: Uuid) -> Result<Option<DocumentVersion>, sqlx::Error> {
    let row: Option<VersionRow> =
        sqlx::query_as(select_versions!("WHERE v.id = $1")).bind(version_id.to_string()).fetch_optional(conn).await?;
    row.map(VersionRow::decode).transpose()
}

/// The latest version of each document `access` may read, oldest document first.
#[tracing::instrument(skip_all)]
pub async fn latest(pool: &AnyPool, access: &Access) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let (staff, owner) = access.binds();
    let rows: Vec<VersionRow> = sqlx::query_as(select_versions!(
        "WHERE ($1 = 1 OR d.owner_id = $2) \
         AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id) \
         ORDER BY d.created_at, d.id"
    ))
    .bind(staff)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(VersionRow::decode).collect()
}

/// Every version of every document of `owner`, by document then version (a user's data export).
#[tracing::instrument(skip_all)]
pub async fn all_of_owner(pool: &AnyPool, owner: Uuid) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let rows: Vec<VersionRow> =
        sqlx::query_as(select_versions!("WHERE d.owner_id = $1 ORDER BY d.created_at, d.id, v.version"))
            .bind(owner.to_string())
            .fetch_all(pool)
            .await?;
    rows.into_iter().map(VersionRow::decode).collect()
}

/// Every version of one document, newest first; empty when it is missing or not the caller's.
#[tracing::instrument(skip_all, fields(%document_id))]
pub async fn versions(pool: &AnyPool, access: &Access, document_id: Uuid) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let (staff, owner) = access.binds();
    let rows: Vec<VersionRow> =
        sqlx::query_as(select_versions!("WHERE ($1 = 1 OR d.owner_id = $2) AND d.id = $3 ORDER BY v.version DESC"))
            .bind(staff)
            .bind(owner)
            .bind(document_id.to_string())
            .fetch_all(pool)
            .await?;
    rows.into_iter().map(VersionRow::decode).collect()
}

/// Versions that have no verdict yet and were uploaded before `before`: the sweeper's work.
#[tracing::instrument(skip_all)]
pub async fn pending_scans(
    pool: &AnyPool,
    before: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT v.id FROM document_versions v LEFT JOIN document_scans s ON s.version_id = v.id \
         WHERE s.version_id IS NULL AND v.created_at < $1 ORDER BY v.created_at LIMIT $2",
    )
    .bind(time::to_db(before))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    ids.iter().map(|id| decode::uuid(id)).collect()
}
