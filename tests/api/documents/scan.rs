//! The scanner on real files: every refusal with the reason the customer reads, and the clean
//! path that strips metadata.

use tresor::documents::{DocumentType, ScanStatus};
use uuid::Uuid;

use crate::support::documents::{
    self, EICAR_BYTES, app, blurry_image, docs, document_image, download, files_under, scan, stream, uploaded, verdict,
    zlib,
};

const MALWARE: &str = "the file contains a known malware signature";

async fn assert_rejected(app: &crate::support::TestApp, kind: DocumentType, bytes: &[u8], reason: &str) {
    let outcome = verdict(app, kind, bytes).await;
    assert_eq!(outcome.status, ScanStatus::Rejected, "expected {reason:?}");
    assert!(outcome.rejection_reason.as_deref().unwrap_or_default().starts_with(reason), "{outcome:?}");
}

#[actix_web::test]
async fn a_sharp_jpeg_passes_and_its_clean_copy_has_no_exif_or_gps() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let gps = "GPS-LATITUDE-51.5007N-LONGITUDE-0.1246W";
    let original = documents::jpeg_with_gps(&document_image(1200, 800), gps);
    let version = uploaded(&app, owner, DocumentType::Passport, &original).await;
    let outcome = scan(&app, &version).await;
    assert_eq!((outcome.status, outcome.rejection_reason), (ScanStatus::Clean, None));
    assert_eq!(
        docs(&app).get(&tresor::documents::Access::Owner(owner), version.id).await.unwrap().status,
        ScanStatus::Clean
    );

    let (download, bytes) = download(&app, owner, version.id, None).await;
    assert_eq!((download.content_type, download.filename.as_str()), ("image/jpeg", "passport-v1.jpg"));
    assert!(bytes.starts_with(b"\xff\xd8\xff"));
    assert!(!bytes.windows(gps.len()).any(|w| w == gps.as_bytes()), "GPS is gone");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF is gone");
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1200, 800));
}

#[actix_web::test]
async fn the_exif_orientation_is_applied_before_the_metadata_is_dropped() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let version =
        uploaded(&app, owner, DocumentType::Passport, &documents::jpeg_rotated(&document_image(1200, 800))).await;
    assert_eq!(scan(&app, &version).await.status, ScanStatus::Clean);
    let (_, bytes) = download(&app, owner, version.id, None).await;
    let upright = image::load_from_memory(&bytes).unwrap();
    assert_eq!((upright.width(), upright.height()), (800, 1200), "shown as the camera meant it");
}

#[actix_web::test]
async fn a_png_passes_and_is_reencoded_without_its_text_chunks() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let png = documents::png_with_text(&documents::png(&document_image(900, 700)), "tEXt", b"Author: someone");
    let version = uploaded(&app, owner, DocumentType::DriversLicense, &png).await;
    assert_eq!(scan(&app, &version).await.status, ScanStatus::Clean);
    let (download, bytes) = download(&app, owner, version.id, None).await;
    assert_eq!(download.content_type, "image/png");
    assert!(!bytes.windows(4).any(|w| w == b"tEXt"));
}

#[actix_web::test]
async fn a_plain_pdf_passes_and_is_served_as_uploaded() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let pdf = documents::plain_pdf("Utility bill, 1 Main Street");
    let version = uploaded(&app, owner, DocumentType::ProofOfAddress, &pdf).await;
    assert_eq!(scan(&app, &version).await.status, ScanStatus::Clean);
    let (download, bytes) = download(&app, owner, version.id, None).await;
    assert_eq!((download.content_type, bytes), ("application/pdf", pdf));
}

#[actix_web::test]
async fn eicar_is_refused_as_raw_bytes_and_inside_every_container() {
    let app = app().await;
    let png = documents::png(&document_image(700, 500));
    let jpeg = documents::jpeg(&document_image(700, 500));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("raw bytes after a JPEG", [jpeg.as_slice(), EICAR_BYTES].concat()),
        ("raw bytes in a PDF", [documents::plain_pdf("x"), EICAR_BYTES.to_vec()].concat()),
        ("PNG tEXt", documents::png_with_text(&png, "tEXt", EICAR_BYTES)),
        ("PNG zTXt (compressed)", documents::png_with_text(&png, "zTXt", EICAR_BYTES)),
        ("PNG iTXt (compressed)", documents::png_with_text(&png, "iTXt", EICAR_BYTES)),
        ("JPEG comment", documents::with_jpeg_segment(&jpeg, 0xFE, EICAR_BYTES)),
        ("JPEG APP segment", documents::with_jpeg_segment(&jpeg, 0xE2, EICAR_BYTES)),
        ("PDF Flate stream", documents::pdf("", "x", &[stream("/Filter /FlateDecode", &zlib(EICAR_BYTES))])),
        (
            "PDF Flate stream behind ASCIIHex",
            documents::pdf("", "x", &[stream("/Filter [/AHx /Fl]", hex::encode(zlib(EICAR_BYTES)).as_bytes())]),
        ),
    ];
    for (place, bytes) in cases {
        let outcome = verdict(&app, DocumentType::Other, &bytes).await;
        assert_eq!(outcome.status, ScanStatus::Rejected, "{place}");
        assert_eq!(outcome.rejection_reason.as_deref(), Some(MALWARE), "{place}");
    }
}

#[actix_web::test]
async fn a_decompression_bomb_png_is_refused_before_it_is_decoded() {
    let app = app().await;
    for (w, h) in [(100_000, 100_000), (11_000, 11_000)] {
        let bomb = documents::png_bomb(w, h);
        assert!(bomb.len() < 2_000, "tiny file: {} bytes", bomb.len());
        let started = std::time::Instant::now();
        assert_rejected(&app, DocumentType::Passport, &bomb, "the image is too large to process").await;
        // Decoding 121 megapixels would take far longer and allocate >100 MB; refusing is instant.
        assert!(started.elapsed().as_secs() < 10);
    }
}

#[actix_web::test]
async fn a_truncated_or_damaged_image_is_refused() {
    let app = app().await;
    let jpeg = documents::jpeg(&document_image(800, 600));
    let png = documents::png(&document_image(800, 600));
    let reason = "the image file is damaged or incomplete";
    assert_rejected(&app, DocumentType::Passport, &jpeg[..jpeg.len() * 6 / 10], reason).await;
    assert_rejected(&app, DocumentType::Other, &png[..png.len() / 2], reason).await;
    let mut garbled = png.clone();
    garbled[40..60].fill(0xAA);
    assert_rejected(&app, DocumentType::Other, &garbled, reason).await;
}

#[actix_web::test]
async fn identity_photos_must_be_large_and_sharp_enough_to_read() {
    let app = app().await;
    let blurry = documents::jpeg(&blurry_image(1200, 800));
    assert_rejected(&app, DocumentType::Passport, &blurry, "image is too blurry to read").await;
    let small = documents::jpeg(&document_image(500, 300));
    assert_rejected(&app, DocumentType::GovernmentId, &small, "the image resolution is too low").await;
    // The same files are fine where nobody needs to read them.
    assert_eq!(verdict(&app, DocumentType::Other, &blurry).await.status, ScanStatus::Clean);
    assert_eq!(verdict(&app, DocumentType::Selfie, &small).await.status, ScanStatus::Clean);
}

#[actix_web::test]
async fn scanning_is_idempotent_and_audited_once() {
    let app = app().await;
    let version =
        uploaded(&app, Uuid::now_v7(), DocumentType::Passport, &documents::jpeg(&document_image(800, 600))).await;
    let pending = app.state.documents.pending_scans(chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(pending, vec![version.version_id], "the sweeper sees the unscanned version");
    let (first, second) = tokio::join!(scan(&app, &version), scan(&app, &version));
    assert_eq!(first, second);
    let files = files_under(&app.documents_dir());
    assert_eq!(files.len(), 2, "the original and one clean copy; a losing racer removes its own: {files:?}");
    assert_eq!(scan(&app, &version).await, first);
    let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'document.scan'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(audits, 1);
    assert!(app.state.documents.pending_scans(chrono::Utc::now(), 10).await.unwrap().is_empty());
    let unknown = docs(&app).scan(Uuid::now_v7()).await.unwrap_err();
    assert!(matches!(unknown, tresor::documents::ScanError::UnknownVersion(_)));
}
