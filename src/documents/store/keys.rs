//! The sealed data keys of every version and clean copy, for key rotation. Re-sealing a key is
//! the only UPDATE the documents tables allow (see their migration).

use sqlx::AnyPool;

/// A version's sealed keys: its original's, and its clean copy's once scanned clean.
#[derive(sqlx::FromRow)]
pub struct SealedKeys {
    pub id: String,
    pub document_id: String,
    pub blob_key: String,
    pub data_key: String,
    pub clean_blob_key: Option<String>,
    pub clean_data_key: Option<String>,
}

/// Up to `limit` versions after the id `after`, in id order.
#[tracing::instrument(skip_all)]
pub async fn page(reader: &AnyPool, after: &str, limit: i64) -> Result<Vec<SealedKeys>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, v.document_id, v.blob_key, v.data_key, s.clean_blob_key, s.clean_data_key \
         FROM document_versions v LEFT JOIN document_scans s ON s.version_id = v.id \
         WHERE v.id > $1 ORDER BY v.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(reader)
    .await
}

/// Replaces a version's original key if it is still `old` (compare-and-set, so a concurrent
/// rewrap never overwrites a newer key with an older one). Answers how many rows changed.
#[tracing::instrument(skip_all)]
pub async fn replace_original(writer: &AnyPool, id: &str, old: &str, fresh: &str) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE document_versions SET data_key = $1 WHERE id = $2 AND data_key = $3";
    Ok(sqlx::query(sql).bind(fresh).bind(id).bind(old).execute(writer).await?.rows_affected())
}

/// [`replace_original`] for the clean copy's key.
#[tracing::instrument(skip_all)]
pub async fn replace_clean(writer: &AnyPool, id: &str, old: &str, fresh: &str) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE document_scans SET clean_data_key = $1 WHERE version_id = $2 AND clean_data_key = $3";
    Ok(sqlx::query(sql).bind(fresh).bind(id).bind(old).execute(writer).await?.rows_affected())
}
