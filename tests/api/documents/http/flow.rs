//! Upload → scan by the worker → clean → download through a signed link; versions; another
//! customer sees nothing.

use serde_json::{Value, json};

use crate::support::assert_problem;
use crate::support::documents::{self, app_with_worker, document_image, path_of};

#[actix_web::test]
async fn an_uploaded_passport_is_scanned_by_the_worker_and_downloaded_through_a_signed_link() {
    let (app, workers) = app_with_worker().await;
    let user = app.signed_in().await;
    let gps = "GPS-51.5007N-0.1246W";
    let jpeg = documents::jpeg_with_gps(&document_image(1200, 800), gps);
    let created = app.upload_document(&user, "passport", Some("My passport"), &jpeg).await;
    assert_eq!(created["status"], "pending_scan");
    assert_eq!((created["name"].as_str(), created["document_type"].as_str()), (Some("My passport"), Some("passport")));
    assert_eq!((created["version"].as_i64(), created["size"].as_u64()), (Some(1), Some(jpeg.len() as u64)));
    use sha2::Digest;
    assert_eq!(created["sha256"], hex::encode(sha2::Sha256::digest(&jpeg)));
    assert!(created["created_at"].as_str().is_some() && created["id"].as_str().is_some());
    let id = created["id"].as_str().unwrap();

    let scanned = app.scanned(&user.access, id).await;
    assert_eq!(scanned["status"], "clean", "{scanned}");
    let list: Value = app.get_authed("/v1/documents", &user.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_cursor"], Value::Null);

    let url = app.download_link(&user.access, id, &json!({})).await;
    let response = app.get(&path_of(&url)).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"My_passport-v1.jpg\"");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(headers["content-length"].to_str().unwrap(), bytes.len().to_string());
    assert!(!bytes.windows(gps.len()).any(|w| w == gps.as_bytes()), "the clean copy has no GPS");
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 1200);

    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action IN ('document.upload', 'document.scan', 'document.download') ORDER BY seq",
    )
    .fetch_all(app.state.db.reader())
    .await
    .unwrap();
    assert_eq!(audit, ["document.upload", "document.scan", "document.download"]);
    workers.stop().await;
}

#[actix_web::test]
async fn the_same_name_and_type_makes_a_new_version_and_the_old_one_stays_readable() {
    let (app, workers) = app_with_worker().await;
    let user = app.signed_in().await;
    let (first, second) = (documents::plain_pdf("bill of March"), documents::plain_pdf("bill of April"));
    let v1 = app.upload_document(&user, "proof_of_address", Some("utility bill"), &first).await;
    let v2 = app.upload_document(&user, "proof_of_address", Some("utility bill"), &second).await;
    assert_eq!(v1["id"], v2["id"], "one document");
    assert_eq!((v1["version"].as_i64(), v2["version"].as_i64()), (Some(1), Some(2)));
    let other = app.upload_document(&user, "other", Some("utility bill"), &first).await;
    assert_ne!(other["id"], v1["id"], "another type is another document");
    let id = v1["id"].as_str().unwrap();
    app.scanned(&user.access, id).await;

    let versions: Value =
        app.get_authed(&format!("/v1/documents/{id}/versions"), &user.access).await.json().await.unwrap();
    let numbers: Vec<i64> =
        versions["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [2, 1], "newest first");
    let latest: Value = app.document(&user.access, id).await.json().await.unwrap();
    assert_eq!(latest["version"], 2);
    let list: Value = app.get_authed("/v1/documents", &user.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "latest version of each document");

    crate::support::jobs::eventually(std::time::Duration::from_secs(60), "both versions scanned", async || {
        let versions: Value =
            app.get_authed(&format!("/v1/documents/{id}/versions"), &user.access).await.json().await.unwrap();
        versions["items"].as_array().unwrap().iter().all(|v| v["status"] == "clean")
    })
    .await;
    let old = app.download_link(&user.access, id, &json!({ "version": 1 })).await;
    assert_eq!(app.get(&path_of(&old)).await.bytes().await.unwrap().as_ref(), first.as_slice(), "version 1 intact");
    let new = app.download_link(&user.access, id, &json!({})).await;
    let response = app.get(&path_of(&new)).await;
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"utility_bill-v2.pdf\"");
    assert_eq!(response.bytes().await.unwrap().as_ref(), second.as_slice());
    let missing =
        app.post_authed(&format!("/v1/documents/{id}/download"), &user.access, &json!({ "version": 9 })).await;
    assert_problem(missing, 404, "not-found").await;
    workers.stop().await;
}

#[actix_web::test]
async fn a_customer_cannot_list_read_or_link_another_customers_documents() {
    let (app, workers) = app_with_worker().await;
    let (owner, stranger) = (app.signed_in().await, app.signed_in().await);
    let created = app.upload_document(&owner, "passport", None, &documents::png(&document_image(900, 700))).await;
    let id = created["id"].as_str().unwrap();
    app.scanned(&owner.access, id).await;

    let list: Value = app.get_authed("/v1/documents", &stranger.access).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]));
    assert_problem(app.document(&stranger.access, id).await, 404, "not-found").await;
    let versions = app.get_authed(&format!("/v1/documents/{id}/versions"), &stranger.access).await;
    assert_problem(versions, 404, "not-found").await;
    let link = app.post_authed(&format!("/v1/documents/{id}/download"), &stranger.access, &json!({})).await;
    assert_problem(link, 404, "not-found").await;
    let unknown = app.document(&owner.access, &uuid::Uuid::now_v7().to_string()).await;
    assert_problem(unknown, 404, "not-found").await;
    assert_problem(app.get(&format!("/v1/documents/{id}")).await, 401, "unauthenticated").await;
    workers.stop().await;
}

#[actix_web::test]
async fn a_document_that_is_not_clean_has_no_download_link() {
    let app = crate::support::spawn_app().await;
    let user = app.signed_in().await;
    let created = app.upload_document(&user, "passport", None, &documents::plain_pdf("pending")).await;
    let id = created["id"].as_str().unwrap();
    let response = app.post_authed(&format!("/v1/documents/{id}/download"), &user.access, &json!({})).await;
    let body = assert_problem(response, 409, "document-not-clean").await;
    assert!(body["detail"].as_str().unwrap().contains("still being scanned"), "{body}");
}
