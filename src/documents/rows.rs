//! The documents' SQL: one code path for SQLite and PostgreSQL (portable types, `$N`).

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

pub use super::listing::{latest, pending_scans, version, versions};
use super::model::DocumentType;
use crate::db::{Db, Dialect, time};

/// Who may read: the owner only, or staff reviewing KYC (any owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Owner(Uuid),
    Staff,
}

impl Access {
    /// `(is_staff, owner)` for the `($1 = 1 OR d.owner_id = $2)` filter.
    pub(super) fn binds(&self) -> (i64, String) {
        match self {
            Self::Owner(id) => (0, id.to_string()),
            Self::Staff => (1, String::new()),
        }
    }
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

pub fn parse_uuid(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
