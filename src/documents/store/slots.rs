//! The `documents` rows: one slot per (owner, type, name), holding its versions.

use sqlx::AnyPool;
use uuid::Uuid;

use crate::db::{decode, time};
use crate::documents::model::DocumentType;

/// The document slot for (owner, type, name), created on first use. Committed on its own: an
/// upload that fails later leaves an empty slot, which lists nowhere (lists join versions).
#[tracing::instrument(skip_all)]
pub async fn document_slot(writer: &AnyPool, owner: Uuid, kind: DocumentType, name: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, owner_id, document_type, name, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (owner_id, document_type, name) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(owner.to_string())
    .bind(kind.as_str())
    .bind(name)
    .bind(time::to_db(time::now()))
    .execute(writer)
    .await?;
    let id: String =
        sqlx::query_scalar("SELECT id FROM documents WHERE owner_id = $1 AND document_type = $2 AND name = $3")
            .bind(owner.to_string())
            .bind(kind.as_str())
            .bind(name)
            .fetch_one(writer)
            .await?;
    decode::uuid(&id)
}
