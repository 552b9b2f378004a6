//! Turning a verdict into its stored row (and the cleaned file), written once.

use anyhow::Context;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ScanOutcome;
use super::verdict::{Passed, Rejection};
use crate::audit::{self, Actor, Event};
use crate::crypto::Keys;
use crate::db::Db;
use crate::documents::blob::DocumentStore;
use crate::documents::cipher::{DataKey, Variant, key_place, stream_place};
use crate::documents::model::ScanStatus;
use crate::documents::store::scans::{self, ScanRow, StoredVersion};
use crate::documents::write::store_sealed;
use crate::events::{self, EventType, NewEvent};

pub fn rejected(rejection: &Rejection) -> ScanRow {
    ScanRow {
        status: "rejected".to_owned(),
        rejection_reason: Some(rejection.reason.message().to_owned()),
        finding: Some(rejection.finding.clone()),
        ..ScanRow::default()
    }
}

/// Stores the cleaned copy (images) under its own data key; a PDF is served as uploaded.
pub async fn clean(
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

pub async fn record(
    store: &dyn DocumentStore,
    db: &Db,
    version_id: Uuid,
    stored: &StoredVersion,
    row: ScanRow,
) -> Result<ScanOutcome, super::ScanError> {
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
    audit::record(&mut tx, &Actor::system(), event).await.context("auditing the verdict")?;
    let data = json!({
        "document_id": stored.document_id,
        "version_id": version_id,
        "version": stored.version,
        "status": row.status,
        "rejection_reason": row.rejection_reason,
    });
    let scanned =
        NewEvent::new(EventType::DocumentScanned, ("document", stored.document_id), Some(stored.owner_id), data);
    events::record(&mut tx, scanned).await.context("publishing the verdict")?;
    tx.commit().await.context("committing the verdict")?;
    let verdict = if row.status == "clean" { "clean" } else { "rejected" };
    metrics::counter!(crate::business_metrics::SCAN_VERDICTS, "verdict" => verdict).increment(1);
    Ok(outcome(&row))
}

pub fn outcome(row: &ScanRow) -> ScanOutcome {
    let status = if row.status == "clean" { ScanStatus::Clean } else { ScanStatus::Rejected };
    ScanOutcome { status, rejection_reason: row.rejection_reason.clone() }
}
