//! Receiving files: typed by content, size-limited while streaming, encrypted at rest, versioned.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::support::documents::{self, actor, app, docs, document_image, files_under, scan, slug, upload, uploaded};
use tresor::documents::{Access, DocumentType, ScanStatus, UploadError};
use uuid::Uuid;

#[actix_web::test]
async fn an_upload_is_recorded_pending_scan_with_its_digest_and_type_from_content() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let bytes = documents::png(&document_image(800, 600));
    let version = upload(&app, owner, DocumentType::Passport, Some("  my passport "), &bytes).await.unwrap();
    assert_eq!(version.name, "my passport");
    assert_eq!((version.version, version.status), (1, ScanStatus::PendingScan));
    assert_eq!(version.content_type, "image/png");
    assert_eq!(version.size as usize, bytes.len());
    use sha2::Digest;
    assert_eq!(version.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(version.owner_id, owner);
    let json = serde_json::to_value(&version).unwrap();
    assert_eq!((json["status"].as_str(), json["document_type"].as_str()), (Some("pending_scan"), Some("passport")));

    let unnamed = uploaded(&app, owner, DocumentType::Selfie, &bytes).await;
    assert_eq!(unnamed.name, "selfie", "the name defaults to the document type");
}

#[actix_web::test]
async fn files_that_are_not_png_jpeg_or_pdf_are_refused_with_415_naming_what_was_seen() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let cases: [(&[u8], &str); 4] = [
        (b"this is a text file renamed to passport.png\n", "this file is text"),
        (documents::EICAR_BYTES, "this file is text"),
        (b"GIF89a\x01\x00\x01\x00", "this file is a GIF image"),
        (b"", "this file is an empty file"),
    ];
    for (bytes, seen) in cases {
        let error = upload(&app, owner, DocumentType::Passport, Some("passport.png"), bytes).await.unwrap_err();
        assert!(matches!(error, UploadError::Unsupported { .. }), "{error:?}");
        assert!(error.to_string().ends_with(seen), "{error}");
        assert_eq!(slug(error.into()), (415, "unsupported-media-type".to_owned()));
    }
    assert!(docs(&app).list(&Access::Owner(owner)).await.unwrap().is_empty(), "nothing was stored");
    assert_eq!(files_under(&app.documents_dir()).len(), 0);
}

#[actix_web::test]
async fn a_file_over_10_mib_is_refused_with_413_without_reading_the_rest() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let piece =
        documents::plain_pdf("big").into_iter().chain(std::iter::repeat_n(b' ', 64 * 1024)).collect::<Vec<u8>>();
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = pulled.clone();
    // 100 MiB on offer; the upload must stop pulling right after 10 MiB.
    let body = futures::stream::iter((0..1600).map(move |_| {
        counter.fetch_add(piece.len() as u64, Ordering::SeqCst);
        Ok::<_, std::io::Error>(piece.clone())
    }));
    let new = tresor::documents::NewUpload { owner_id: owner, document_type: DocumentType::Other, name: None };
    let error = docs(&app).upload(&actor(owner), new, body).await.unwrap_err();
    assert!(matches!(error, UploadError::TooLarge { limit: 10_485_760 }), "{error:?}");
    let read = pulled.load(Ordering::SeqCst);
    assert!(read <= 10_485_760 + 2 * 70_000, "read {read} bytes of 100 MiB");
    assert_eq!(slug(error.into()), (413, "payload-too-large".to_owned()));
    assert!(docs(&app).list(&Access::Owner(owner)).await.unwrap().is_empty());
    assert_eq!(files_under(&app.documents_dir()).len(), 0, "no partial file is left behind");
}

#[actix_web::test]
async fn a_file_of_exactly_10_mib_is_accepted() {
    let app = app().await;
    let mut bytes = documents::plain_pdf("limit");
    bytes.resize(10 * 1024 * 1024, b' ');
    let version = uploaded(&app, Uuid::now_v7(), DocumentType::Other, &bytes).await;
    assert_eq!(version.size, 10 * 1024 * 1024);
}

#[actix_web::test]
async fn names_are_validated() {
    let app = app().await;
    let png = documents::png(&document_image(10, 10));
    for bad in ["x".repeat(121), "tab\there".to_owned()] {
        let error = upload(&app, Uuid::now_v7(), DocumentType::Other, Some(&bad), &png).await.unwrap_err();
        assert_eq!(slug(error.into()), (400, "invalid-request".to_owned()));
    }
}

#[actix_web::test]
async fn the_same_name_and_type_makes_a_new_version_and_old_versions_stay_immutable() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let first =
        upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &documents::plain_pdf("one")).await.unwrap();
    let second =
        upload(&app, owner, DocumentType::ProofOfAddress, Some("bill"), &documents::plain_pdf("two")).await.unwrap();
    let other_type = upload(&app, owner, DocumentType::Other, Some("bill"), &documents::plain_pdf("x")).await.unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!((first.version, second.version), (1, 2));
    assert_ne!(other_type.id, first.id, "another type is another document");

    let versions = docs(&app).versions(&Access::Owner(owner), first.id).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(versions[1].sha256, first.sha256);
    let listed = docs(&app).list(&Access::Owner(owner)).await.unwrap();
    assert_eq!(listed.len(), 2, "the latest version of each document");
    assert_eq!(listed[0].version_id, second.version_id);

    // The database itself refuses to change or remove a version, a document or a verdict.
    scan(&app, &first).await;
    let db = app.state.db.writer();
    for sql in [
        "UPDATE document_versions SET sha256 = 'x'",
        "DELETE FROM document_versions",
        "UPDATE documents SET name = 'x'",
        "DELETE FROM documents",
        "UPDATE document_scans SET status = 'clean'",
        "DELETE FROM document_scans",
    ] {
        let error = sqlx::query(sql).execute(db).await.expect_err(sql).to_string();
        assert!(error.contains("insert-only"), "{sql}: {error}");
    }
}

#[actix_web::test]
async fn concurrent_uploads_of_one_document_get_distinct_version_numbers() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let (a, b) = (documents::plain_pdf("a"), documents::plain_pdf("b"));
    let (first, second) = tokio::join!(
        upload(&app, owner, DocumentType::Other, Some("same"), &a),
        upload(&app, owner, DocumentType::Other, Some("same"), &b)
    );
    let mut numbers = vec![first.unwrap().version, second.unwrap().version];
    numbers.sort_unstable();
    assert_eq!(numbers, vec![1, 2]);
}

#[actix_web::test]
async fn customers_see_only_their_own_documents_and_staff_see_all() {
    let app = app().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let doc = uploaded(&app, alice, DocumentType::Passport, &documents::plain_pdf("alice")).await;
    assert!(docs(&app).list(&Access::Owner(bob)).await.unwrap().is_empty());
    for result in [
        docs(&app).get(&Access::Owner(bob), doc.id).await.map(|_| ()),
        docs(&app).versions(&Access::Owner(bob), doc.id).await.map(|_| ()),
        docs(&app).get(&Access::Owner(alice), Uuid::now_v7()).await.map(|_| ()),
    ] {
        assert_eq!(slug(result.unwrap_err()), (404, "not-found".to_owned()));
    }
    assert_eq!(docs(&app).get(&Access::Owner(alice), doc.id).await.unwrap().version_id, doc.version_id);
    assert_eq!(docs(&app).get(&Access::Staff, doc.id).await.unwrap().version_id, doc.version_id);
    assert_eq!(docs(&app).list(&Access::Staff).await.unwrap().len(), 1);
}
