//! Files refused at the door (415) or by the scanner (`rejected` with a reason the customer can
//! act on), over HTTP with the worker running.

use serde_json::{Value, json};

use crate::support::assert_problem;
use crate::support::documents::{self, EICAR_BYTES, app_with_worker, document_image, form, stream, zlib};

#[actix_web::test]
async fn files_that_are_not_png_jpeg_or_pdf_are_415_naming_what_was_seen() {
    let app = crate::support::spawn_app().await;
    let user = app.signed_in().await;
    let cases: [(&[u8], &str, &str); 4] = [
        (b"just some notes, renamed\n", "passport.png", "this file is text"),
        (EICAR_BYTES, "eicar.pdf", "this file is text"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "photo.jpg", "this file is a GIF image"),
        (b"", "empty.png", "this file is an empty file"),
    ];
    for (bytes, file_name, seen) in cases {
        let response = app.upload_form(&user.access, form("passport", None, file_name, bytes)).await;
        let body = assert_problem(response, 415, "unsupported-media-type").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("PNG, JPEG and PDF") && detail.ends_with(seen), "{file_name}: {detail}");
    }
    let list: Value = app.get_authed("/v1/documents", &user.access).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]), "nothing was stored");
}

#[actix_web::test]
async fn dangerous_or_broken_files_are_rejected_by_the_scan_with_a_reason() {
    let (app, workers) = app_with_worker().await;
    let user = app.signed_in().await;
    let jpeg = documents::jpeg(&document_image(900, 700));
    let js = documents::pdf("/OpenAction 5 0 R", "x", &[b"<< /S /JavaScript /JS (app.alert(1)) >>".to_vec()]);
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "eicar in a PNG",
            "other",
            documents::png_with_text(&documents::png(&document_image(600, 400)), "zTXt", EICAR_BYTES),
            "the file contains a known malware signature",
        ),
        (
            "eicar in a PDF stream",
            "other",
            documents::pdf("", "x", &[stream("/Filter /FlateDecode", &zlib(EICAR_BYTES))]),
            "the file contains a known malware signature",
        ),
        ("decompression bomb", "passport", documents::png_bomb(100_000, 100_000), "the image is too large to process"),
        ("truncated JPEG", "passport", jpeg[..jpeg.len() / 2].to_vec(), "the image file is damaged or incomplete"),
        ("PDF with JavaScript", "proof_of_address", js, "the PDF contains scripts"),
        (
            "blurry photo",
            "drivers_license",
            documents::jpeg(&documents::blurry_image(1200, 800)),
            "image is too blurry to read",
        ),
    ];
    for (what, document_type, bytes, reason) in cases {
        let created = app.upload_document(&user, document_type, Some(what), &bytes).await;
        assert_eq!(created["status"], "pending_scan", "{what}: accepted at the door, judged by the scan");
        let id = created["id"].as_str().unwrap();
        let scanned = app.scanned(&user.access, id).await;
        assert_eq!(scanned["status"], "rejected", "{what}");
        assert!(scanned["rejection_reason"].as_str().unwrap().starts_with(reason), "{what}: {scanned}");
        let link = app.post_authed(&format!("/v1/documents/{id}/download"), &user.access, &json!({})).await;
        let body = assert_problem(link, 409, "document-not-clean").await;
        assert!(body["detail"].as_str().unwrap().contains(reason), "{body}");
    }
    workers.stop().await;
}
