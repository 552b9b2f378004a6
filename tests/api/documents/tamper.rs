//! Stored files altered on disk: swapped, flipped or cut-off chunks never decrypt.

use chrono::Utc;
use tresor::documents::DocumentType;
use uuid::Uuid;

use crate::support::documents::{self, actor, app, body, docs, scan, token, upload, uploaded};

/// The one stored file of a version (its original), found by its key prefix.
fn stored_file(app: &crate::support::TestApp, version: Uuid) -> std::path::PathBuf {
    app.documents_dir().join(format!("{version}.original"))
}

#[actix_web::test]
async fn tampered_or_reordered_ciphertext_fails_to_decrypt() {
    let app = app().await;
    let owner = Uuid::now_v7();
    // Several 64 KiB chunks.
    let pdf = documents::plain_pdf(&"chunks ".repeat(45_000));
    let swapped = uploaded(&app, owner, DocumentType::Other, &pdf).await;
    let flipped = upload(&app, owner, DocumentType::Other, Some("two"), &pdf).await.unwrap();
    let cut = upload(&app, owner, DocumentType::Other, Some("three"), &pdf).await.unwrap();
    for version in [&swapped, &flipped, &cut] {
        scan(&app, version).await; // clean: the PDF is served from its original file
    }
    let tokens = [
        token(&app, owner, swapped.id, None).await,
        token(&app, owner, flipped.id, None).await,
        token(&app, owner, cut.id, None).await,
    ];

    let frame = 64 * 1024 + 16;
    let header = 8 + 19;
    let path = stored_file(&app, swapped.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    let (first, second) = (bytes[header..header + frame].to_vec(), bytes[header + frame..header + 2 * frame].to_vec());
    bytes[header..header + frame].copy_from_slice(&second);
    bytes[header + frame..header + 2 * frame].copy_from_slice(&first);
    std::fs::write(&path, bytes).unwrap();
    let path = stored_file(&app, flipped.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[header + 2 * frame + 100] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let path = stored_file(&app, cut.version_id);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..header + 3 * frame]).unwrap();

    for token in tokens {
        let download = docs(&app).download(&actor(owner), &token, Some(owner)).await.unwrap();
        let error = body(download).await.expect_err("the stream must fail, not serve forged bytes");
        assert_eq!(error.to_string(), "stored document is damaged");
    }
}

#[actix_web::test]
async fn a_tampered_original_is_never_scanned_as_clean() {
    let app = app().await;
    let version = uploaded(&app, Uuid::now_v7(), DocumentType::Other, &documents::plain_pdf("x")).await;
    let path = stored_file(&app, version.version_id);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&path, bytes).unwrap();
    assert!(docs(&app).scan(version.version_id).await.is_err(), "a failure to retry, not a verdict");
    let pending = app.state.documents.pending_scans(Utc::now(), 10).await.unwrap();
    assert_eq!(pending, vec![version.version_id]);
}
