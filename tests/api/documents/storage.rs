//! What lands on disk: ciphertext only, owner-only files.

use tresor::documents::DocumentType;
use uuid::Uuid;

use crate::support::documents::{self, app, document_image, files_under, scan, uploaded};

#[actix_web::test]
async fn the_storage_folder_holds_none_of_the_uploaded_bytes_in_plaintext() {
    let app = app().await;
    let owner = Uuid::now_v7();
    let marker = "TRESOR-PLAINTEXT-MARKER-7f3a9c";
    let png = documents::png_with_text(&documents::png(&document_image(700, 500)), "tEXt", marker.as_bytes());
    let pdf = documents::plain_pdf(marker);
    let big = documents::plain_pdf(&marker.repeat(20_000));
    for bytes in [&png, &pdf, &big] {
        let version = uploaded(&app, owner, DocumentType::Other, bytes).await;
        scan(&app, &version).await;
    }
    let files = files_under(&app.documents_dir());
    assert!(files.len() >= 4, "originals and the cleaned image: {files:?}");
    for file in files {
        let stored = std::fs::read(&file).unwrap();
        let needle = marker.as_bytes();
        assert!(!stored.windows(needle.len()).any(|w| w == needle), "{} holds plaintext", file.display());
        assert!(!stored.windows(8).any(|w| w == b"\x89PNG\r\n\x1a\n" || w == b"%PDF-1.7"));
        // The local store's files are owner-only (a bucket's access is the bucket policy's).
        #[cfg(unix)]
        if app.state.config.settings.documents.store == tresor::config::DocumentBackend::Local {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o077, 0, "owner-only");
        }
    }
}
