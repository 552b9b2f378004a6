//! The document scanner: `scan_document` is what the scan job calls for each uploaded version.
//! It is idempotent — a version gets exactly one verdict, written once; running it again (a
//! retried or duplicated job) returns that verdict.

pub mod blur;
pub mod clamd;
pub mod containers;
pub mod inflate;
pub mod inspect;
pub mod pdf;
pub mod picture;
pub mod signatures;
pub mod verdict;

use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::blob::DocumentStore;
use super::cipher::{DataKey, Variant, key_place, stream_place};
use super::model::{FileKind, ScanStatus};
use super::read::PlainReader;
use super::scans::{self, ScanRow, StoredVersion};
use super::settings::ScanSettings;
use super::write::store_sealed;
use crate::audit::{self, Actor, Event};
use crate::crypto::Keys;
use crate::db::Db;
use verdict::{Passed, Rejection, Verdict};

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

fn rejected(rejection: &Rejection) -> ScanRow {
    ScanRow {
        status: "rejected".to_owned(),
        rejection_reason: Some(rejection.reason.message().to_owned()),
        finding: Some(rejection.finding.clone()),
        ..ScanRow::default()
    }
}

/// Stores the cleaned copy (images) under its own data key; a PDF is served as uploaded.
async fn clean(
    store: &dyn DocumentStore,
    keys: &Keys,
    stored: &StoredVersion,
    document: &str,
    version: &str,
    passed: Passed,
) -> anyhow::Result<ScanRow> {
    let (blob_key, data_key, size, sha256) = match &passed.cleaned {
        None => (stored.blob_key.clone(), stored.data_key.clone(), stored.size, stored.sha256.clone()),
        Some(bytes) => {
            // A fresh name per attempt: two workers racing never overwrite each other's file.
            let blob_key = format!("{version}.{}.{}", Variant::Clean.as_str(), Uuid::new_v4().simple());
            let key = DataKey::generate();
            store_sealed(store, &blob_key, &key, stream_place(document, version, Variant::Clean), bytes).await?;
            let sealed = key.wrap(&keys.encryption, &key_place(document, version, Variant::Clean));
            (blob_key, sealed, i64::try_from(bytes.len())?, hex::encode(Sha256::digest(bytes)))
        }
    };
    Ok(ScanRow {
        status: "clean".to_owned(),
        clean_blob_key: Some(blob_key),
        clean_data_key: Some(data_key),
        clean_content_type: Some(passed.kind.mime().to_owned()),
        clean_size: Some(size),
        clean_sha256: Some(sha256),
        width: passed.width.map(i64::from),
        height: passed.height.map(i64::from),
        blur_score: passed.blur.map(|b| b.round() as i64),
        ..ScanRow::default()
    })
}

async fn record(
    store: &dyn DocumentStore,
    db: &Db,
    version_id: Uuid,
    stored: &StoredVersion,
    row: ScanRow,
) -> Result<ScanOutcome, ScanError> {
    let own_clean_file = row.clean_blob_key.clone().filter(|key| *key != stored.blob_key);
    let mut tx = db.begin().await.context("database")?;
    if !scans::insert_scan(&mut tx, version_id, &row).await.context("recording the verdict")? {
        // Another worker recorded its verdict first: that one stands.
        drop(tx);
        if let Some(key) = own_clean_file {
            let _ = store.delete(&key).await;
        }
        let mut conn = db.writer().acquire().await.context("database")?;
        let done = scans::scan(&mut conn, version_id).await.context("reading the verdict")?;
        return Ok(done.map(|d| outcome(&d)).context("verdict vanished")?);
    }
    let event = Event {
        action: "document.scan",
        target_type: "document_version",
        target_id: Some(version_id.to_string()),
        old: Some(json!({ "status": ScanStatus::PendingScan.as_str() })),
        new: Some(json!({ "status": row.status, "rejection_reason": row.rejection_reason, "finding": row.finding })),
    };
    audit::append(&mut tx, db.dialect(), &Actor::system(), event).await.context("auditing the verdict")?;
    tx.commit().await.context("committing the verdict")?;
    Ok(outcome(&row))
}

fn outcome(row: &ScanRow) -> ScanOutcome {
    let status = if row.status == "clean" { ScanStatus::Clean } else { ScanStatus::Rejected };
    ScanOutcome { status, rejection_reason: row.rejection_reason.clone() }
}
