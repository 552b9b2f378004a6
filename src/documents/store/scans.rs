//! `document_scans` and the stored files behind a version: what the scanner and downloads read.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::document_type;
use crate::db::{decode, time};
use crate::documents::model::DocumentType;

/// What is needed to read a version's original file back.
pub struct StoredVersion {
    pub document_id: Uuid,
    pub owner_id: Uuid,
    pub document_type: DocumentType,
    pub name: String,
    pub version: i64,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub data_key: String,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    document_id: String,
    owner_id: String,
    document_type: String,
    name: String,
    version: i64,
    content_type: String,
    size: i64,
    sha256: String,
    blob_key: String,
    data_key: String,
}

#[tracing::instrument(skip_all)]
pub async fn stored(conn: &mut AnyConnection, version_id: Uuid) -> Result<Option<StoredVersion>, sqlx::Error> {
    let row: Option<StoredRow> = sqlx::query_as(
        "SELECT v.document_id, d.owner_id, d.document_type, d.name, v.version, v.content_type, v.size, v.sha256, \
         v.blob_key, v.data_key FROM document_versions v JOIN documents d ON d.id = v.document_id WHERE v.id = $1",
    )
    .bind(version_id.to_string())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(StoredVersion {
        document_id: decode::uuid(&row.document_id)?,
        owner_id: decode::uuid(&row.owner_id)?,
        document_type: document_type(&row.document_type)?,
        name: row.name,
        version: row.version,
        content_type: row.content_type,
        size: row.size,
        sha256: row.sha256,
        blob_key: row.blob_key,
        data_key: row.data_key,
    }))
}

/// A verdict as stored. `clean_*` are set only for clean versions.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct ScanRow {
    pub status: String,
    pub rejection_reason: Option<String>,
    pub finding: Option<String>,
    pub clean_blob_key: Option<String>,
    pub clean_data_key: Option<String>,
    pub clean_content_type: Option<String>,
    pub clean_size: Option<i64>,
    pub clean_sha256: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub blur_score: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn scan(conn: &mut AnyConnection, version_id: Uuid) -> Result<Option<ScanRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, rejection_reason, finding, clean_blob_key, clean_data_key, clean_content_type, clean_size, \
         clean_sha256, width, height, blur_score FROM document_scans WHERE version_id = $1",
    )
    .bind(version_id.to_string())
    .fetch_optional(conn)
    .await
}

/// Records a verdict once: `false` when the version already has one (another worker won).
#[tracing::instrument(skip_all)]
pub async fn insert_scan(conn: &mut AnyConnection, version_id: Uuid, row: &ScanRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO document_scans (version_id, status, rejection_reason, finding, clean_blob_key, clean_data_key, \
         clean_content_type, clean_size, clean_sha256, width, height, blur_score, scanned_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (version_id) DO NOTHING",
    )
    .bind(version_id.to_string())
    .bind(&row.status)
    .bind(&row.rejection_reason)
    .bind(&row.finding)
    .bind(&row.clean_blob_key)
    .bind(&row.clean_data_key)
    .bind(&row.clean_content_type)
    .bind(row.clean_size)
    .bind(&row.clean_sha256)
    .bind(row.width)
    .bind(row.height)
    .bind(row.blur_score)
    .bind(time::to_db(time::now()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
