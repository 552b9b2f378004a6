//! Key rotation for documents: re-seals every document data key that is not under the encryption
//! ring's active key. The files are untouched (their data keys do not change); only the sealed
//! copies in the database move to the new ring key, after which the old ring key can be retired.

use super::cipher::{DataKey, Variant, key_place};
use super::store::keys as stored_keys;
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
        let rows = stored_keys::page(db.reader(), &after, PAGE).await?;
        let Some(last) = rows.last() else { return Ok(done) };
        after = last.id.clone();
        for row in &rows {
            let (id, document) = (&row.id, &row.document_id);
            if aead::key_id(&row.data_key) != Some(active.as_str()) {
                let place = key_place(document, id, Variant::Original);
                let fresh = DataKey::unwrap(ring, &row.data_key, &place)?.wrap(ring, &place);
                done += stored_keys::replace_original(db.writer(), id, &row.data_key, &fresh).await?;
            }
            if let Some(sealed) = row.clean_data_key.as_ref().filter(|k| aead::key_id(k) != Some(active.as_str())) {
                // A PDF's clean file is its original, sealed for the original's place.
                let same_file = row.clean_blob_key.as_ref() == Some(&row.blob_key);
                let variant = if same_file { Variant::Original } else { Variant::Clean };
                let place = key_place(document, id, variant);
                let fresh = DataKey::unwrap(ring, sealed, &place)?.wrap(ring, &place);
                done += stored_keys::replace_clean(db.writer(), id, sealed, &fresh).await?;
            }
        }
    }
}
