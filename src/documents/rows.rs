//! The documents' SQL: one code path for SQLite and PostgreSQL (portable types, `$N`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::model::{DocumentType, DocumentVersion, ScanStatus};
use crate::db::{Db, Dialect, time};

/// Who may read: the owner only, or staff reviewing KYC (any owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Owner(Uuid),
    Staff,
}

impl Access {
    /// `(is_staff, owner)` for the `($2 = 1 OR d.owner_id = $3)` filter.
    fn binds(&self) -> (i64, String) {
        match self {
            Self::Owner(id) => (0, id.to_string()),
            Self::Staff => (1, String::new()),
        }
    }
}

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

/// The document slot for (owner, type, name), created on first use. Committed on its own: an
/// upload that fails later leaves an empty slot, which lists nowhere (lists join versions).
#[tracing::instrument(skip_all)]
pub async fn document_slot(db: &Db, owner: Uuid, kind: DocumentType, name: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, owner_id, document_type, name, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (owner_id, document_type, name) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(owner.to_string())
    .bind(kind.as_str())
    .bind(name)
    .bind(time::to_db(time::now()))
    .execute(db.writer())
    .await?;
    let row = sqlx::query("SELECT id FROM documents WHERE owner_id = $1 AND document_type = $2 AND name = $3")
        .bind(owner.to_string())
        .bind(kind.as_str())
        .bind(name)
        .fetch_one(db.writer())
        .await?;
    parse_uuid(&row.try_get::<String, _>("id")?)
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
pub async fn insert_version(
    conn: &mut AnyConnection,
    dialect: Dialect,
    new: &NewVersion<'_>,
) -> Result<i64, sqlx::Error> {
    let lock = match dialect {
        Dialect::Sqlite => "SELECT id FROM documents WHERE id = $1",
        Dialect::Postgres => "SELECT id FROM documents WHERE id = $1 FOR UPDATE",
    };
    sqlx::query(lock).bind(new.document_id.to_string()).fetch_one(&mut *conn).await?;
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
    let (staff, owner) = access.binds();
    sqlx::query(select_versions!(
        "WHERE ($1 = 1 OR d.owner_id = $2) \
         AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id) \
         ORDER BY d.created_at, d.id"
    ))
    .bind(staff)
    .bind(owner)
    .fetch_all(db.reader())
    .await?
    .iter()
    .map(decode)
    .collect()
}

/// Every version of one document, newest first; empty when it is missing or not the caller's.
#[tracing::instrument(skip_all, fields(%document_id))]
pub async fn versions(db: &Db, access: &Access, document_id: Uuid) -> Result<Vec<DocumentVersion>, sqlx::Error> {
    let (staff, owner) = access.binds();
    sqlx::query(select_versions!("WHERE d.id = $1 AND ($2 = 1 OR d.owner_id = $3) ORDER BY v.version DESC"))
        .bind(document_id.to_string())
        .bind(staff)
        .bind(owner)
        .fetch_all(db.reader())
        .await?
        .iter()
        .map(decode)
        .collect()
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

pub fn parse_uuid(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
