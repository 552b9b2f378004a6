//! The document scanner: `scan_document` is what the scan job calls for each uploaded version.
//! It is idempotent — a version gets exactly one verdict, written once; running it again (a
//! retried or duplicated job) returns that verdict.

pub mod blur;
pub mod budget;
pub mod clamd;
pub mod containers;
pub mod inflate;
pub mod inspect;
pub mod pdf;
pub mod pdf_objects;
pub mod pdf_problem;
pub mod pdf_syntax;
pub mod picture;
mod record;
#[cfg(test)]
mod robustness_tests;
pub mod signatures;
pub mod verdict;

use std::time::Duration;

use anyhow::Context;
use record::{clean, outcome, record, rejected};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use verdict::{Rejection, Verdict};

use super::blob::DocumentStore;
use super::cipher::{DataKey, Variant, key_place, stream_place};
use super::model::{FileKind, ScanStatus};
use super::read::PlainReader;
use super::store::scans::{self, StoredVersion};
use crate::config::ScanSettings;
use crate::crypto::Keys;
use crate::db::Db;

/// A version's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOutcome {
    pub status: ScanStatus,
    pub rejection_reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The version does not exist: retrying cannot help.
    #[error("document version {0} does not exist")]
    UnknownVersion(Uuid),
    /// Anything else (database, store, clamd): worth retrying.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

#[tracing::instrument(skip_all, fields(%version_id))]
pub async fn scan_document(
    store: &dyn DocumentStore,
    db: &Db,
    keys: &Keys,
    settings: &ScanSettings,
    version_id: Uuid,
) -> Result<ScanOutcome, ScanError> {
    let mut conn = db.reader().acquire().await.context("database")?;
    if let Some(done) = scans::scan(&mut conn, version_id).await.context("reading the verdict")? {
        return Ok(outcome(&done));
    }
    let stored = scans::stored(&mut conn, version_id)
        .await
        .context("reading the version")?
        .ok_or(ScanError::UnknownVersion(version_id))?;
    drop(conn);
    let (document, version) = (stored.document_id.to_string(), version_id.to_string());
    let bytes = original(store, keys, &stored, &document, &version).await?;
    let kind = FileKind::from_mime(&stored.content_type).context("unknown stored content type")?;

    let verdict = match ask_clamd(settings, &bytes).await? {
        Some(rejection) => Verdict::Rejected(rejection),
        None => {
            let (settings, document_type) = (settings.clone(), stored.document_type);
            tokio::task::spawn_blocking(move || inspect::inspect(&bytes, kind, document_type, &settings))
                .await
                .context("the scan task failed")?
        }
    };
    let row = match verdict {
        Verdict::Rejected(rejection) => rejected(&rejection),
        Verdict::Clean(passed) => clean(store, keys, &stored, &document, &version, passed).await?,
    };
    record(store, db, version_id, &stored, row).await
}

/// The original's plaintext, checked against the size and digest recorded at upload.
async fn original(
    store: &dyn DocumentStore,
    keys: &Keys,
    stored: &StoredVersion,
    document: &str,
    version: &str,
) -> anyhow::Result<Vec<u8>> {
    let key = DataKey::unwrap(&keys.encryption, &stored.data_key, &key_place(document, version, Variant::Original))?;
    let aad = stream_place(document, version, Variant::Original);
    let reader = PlainReader::open(store, &stored.blob_key, &key, aad).await?;
    let bytes = reader.read_all(u64::try_from(stored.size)?).await?;
    if bytes.len() as u64 != u64::try_from(stored.size)? || hex::encode(Sha256::digest(&bytes)) != stored.sha256 {
        anyhow::bail!("stored document does not match the size and digest recorded at upload");
    }
    Ok(bytes)
}

async fn ask_clamd(settings: &ScanSettings, bytes: &[u8]) -> anyhow::Result<Option<Rejection>> {
    let address = settings.clamd.trim();
    if address.is_empty() {
        return Ok(None);
    }
    let timeout = Duration::from_secs(settings.clamd_timeout_secs);
    Ok(match clamd::scan(address, bytes, timeout).await? {
        clamd::ClamdAnswer::Clean => None,
        clamd::ClamdAnswer::Found(name) => Some(Rejection::new(verdict::Reason::Malware, format!("clamd: {name}"))),
    })
}
