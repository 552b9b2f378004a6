//! Key rotation for documents: re-seals every document data key that is not under the encryption
//! ring's active key. The files are untouched (their data keys do not change); only the sealed
//! copies in the database move to the new ring key, after which the old ring key can be retired.
//! The only UPDATE the documents tables allow (see their migration).

use sqlx::Row;

use super::cipher::{DataKey, Variant, key_place};
use crate::crypto::{Keys, aead};
use crate::db::Db;

const PAGE: i64 = 500;

/// How many sealed keys were re-wrapped. Idempotent; safe to run again after an interruption.
#[tracing::instrument(skip_all)]
pub async fn rewrap_data_keys(db: &Db, keys: &Keys) -> anyhow::Result<u64> {
    let ring = &keys.encryption;
    let active = ring.active().0.to_owned();
    let mut done = 0;
    let mut after = String::new();
    loop {
        // Versions and their clean copies, page by page in id order.
        let rows = sqlx::query(
            "SELECT v.id, v.document_id, v.blob_key, v.data_key, s.clean_blob_key, s.clean_data_key \
             FROM document_versions v LEFT JOIN document_scans s ON s.version_id = v.id \
             WHERE v.id > $1 ORDER BY v.id LIMIT $2",
        )
        .bind(&after)
        .bind(PAGE)
        .fetch_all(db.reader())
        .await?;
        let Some(last) = rows.last() else { return Ok(done) };
        after = last.try_get("id")?;
        for row in &rows {
            let (id, document): (String, String) = (row.try_get("id")?, row.try_get("document_id")?);
            let sealed: String = row.try_get("data_key")?;
            if aead::key_id(&sealed) != Some(active.as_str()) {
                let place = key_place(&document, &id, Variant::Original);
                let fresh = DataKey::unwrap(ring, &sealed, &place)?.wrap(ring, &place);
                done += update(
                    db,
                    "UPDATE document_versions SET data_key = $1 WHERE id = $2 AND data_key = $3",
                    &fresh,
                    &id,
                    &sealed,
                )
                .await?;
            }
            let clean: Option<String> = row.try_get("clean_data_key")?;
            if let Some(sealed) = clean.filter(|k| aead::key_id(k) != Some(active.as_str())) {
                // A PDF's clean file is its original, sealed for the original's place.
                let same_file = row.try_get::<Option<String>, _>("clean_blob_key")? == Some(row.try_get("blob_key")?);
                let variant = if same_file { Variant::Original } else { Variant::Clean };
                let place = key_place(&document, &id, variant);
                let fresh = DataKey::unwrap(ring, &sealed, &place)?.wrap(ring, &place);
                let sql = "UPDATE document_scans SET clean_data_key = $1 WHERE version_id = $2 AND clean_data_key = $3";
                done += update(db, sql, &fresh, &id, &sealed).await?;
            }
        }
    }
}

/// Compare-and-set, so a concurrent rewrap never overwrites a newer key with an older one.
async fn update(db: &Db, sql: &'static str, fresh: &str, id: &str, old: &str) -> anyhow::Result<u64> {
    Ok(sqlx::query(sql).bind(fresh).bind(id).bind(old).execute(db.writer()).await?.rows_affected())
}
