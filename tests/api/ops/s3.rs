//! Documents in an S3-compatible bucket (s3s-fs, a real S3-protocol server): stored, scanned and
//! served from the bucket, and shared by a web process and a worker process that have separate
//! data folders (as on two machines).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tresor::documents::DocumentType;
use uuid::Uuid;

use crate::support::documents::{self, document_image, download, files_under, form, path_of, scan, uploaded};
use crate::support::identity::{Running, server_process};
use crate::support::jobs::eventually;
use crate::support::{assert_setting_refused, cli_command, s3, spawn_app_with};

#[actix_web::test]
async fn documents_are_stored_scanned_and_served_from_the_bucket() {
    let Some(s3) = s3::required_server("documents_are_stored_scanned_and_served_from_the_bucket") else { return };
    let prefix = format!("ops-{}", Uuid::new_v4().simple());
    let app = spawn_app_with(|f| s3.configure(f, &prefix)).await;
    let owner = Uuid::now_v7();
    let jpeg = documents::jpeg(&document_image(1200, 800));
    let version = uploaded(&app, owner, DocumentType::Passport, &jpeg).await;
    let objects = files_under(&s3.folder(&prefix));
    assert_eq!(objects.len(), 1, "the upload is one object in the bucket: {objects:?}");
    assert!(!objects[0].to_string_lossy().contains(".partial"), "{objects:?}");
    let stored = std::fs::read(&objects[0]).unwrap();
    assert!(!stored.windows(64).any(|w| jpeg.windows(64).next() == Some(w)), "the bucket holds ciphertext only");
    assert_eq!(scan(&app, &version).await.status, tresor::documents::ScanStatus::Clean);
    let (_, bytes) = download(&app, owner, version.id, None).await;
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 1200);
    assert!(files_under(&app.data_dir.path().join("documents")).is_empty(), "nothing on the local disk");
}

#[actix_web::test]
async fn a_web_and_a_worker_process_with_separate_data_folders_share_uploads() {
    let name = "a_web_and_a_worker_process_with_separate_data_folders_share_uploads";
    let Some(s3) = s3::required_server(name) else { return };
    let prefix = format!("ops-{}", Uuid::new_v4().simple());
    // The in-process app only owns the database, the keys and the signed-in customer.
    let app = spawn_app_with(|f| s3.configure(f, &prefix)).await;
    let user = app.signed_in().await;
    let mut web_env = s3.env(&prefix);
    web_env.push(("TRESOR__JOBS__EMBEDDED", "false".to_owned()));
    let (_web, web) = server_process(&app, &web_env).await;

    // The worker: another data folder (another machine), the same keys, database and bucket.
    let worker_dir = tempfile::tempdir().unwrap();
    let mut worker = cli_command(worker_dir.path(), &app.database.url);
    worker
        .envs(s3.env(&prefix))
        .env("TRESOR__KEYS__DIR", app.data_dir.path().join("keys"))
        .env("TRESOR__JOBS__POLL_INTERVAL_MS", "50")
        .args(["worker", "--queues", "scan_document"])
        .stderr(Stdio::null());
    let _worker = Running(worker.spawn().unwrap());

    let jpeg = documents::jpeg(&document_image(1200, 800));
    let upload = app.client.post(format!("{web}/v1/documents")).bearer_auth(&user.access);
    let response = upload.multipart(form("passport", Some("passport"), "p.jpg", &jpeg)).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();

    let mut status = Value::Null;
    eventually(Duration::from_secs(60), "the worker's verdict", async || {
        let document = app.client.get(format!("{web}/v1/documents/{id}")).bearer_auth(&user.access).send().await;
        status = document.unwrap().json::<Value>().await.unwrap()["status"].clone();
        status != "pending_scan"
    })
    .await;
    assert_eq!(status, "clean", "the worker read the web process's upload from the bucket");

    let link = app.client.post(format!("{web}/v1/documents/{id}/download")).bearer_auth(&user.access);
    let link: Value = link.json(&json!({})).send().await.unwrap().json().await.unwrap();
    let file = app.client.get(format!("{web}{}", path_of(link["url"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(image::load_from_memory(&file.bytes().await.unwrap()).unwrap().width(), 1200);
    assert!(files_under(&app.data_dir.path().join("documents")).is_empty(), "the web process kept nothing locally");
    assert!(files_under(&worker_dir.path().join("documents")).is_empty(), "the worker kept nothing locally");
    assert!(files_under(&s3.folder(&prefix)).len() >= 2, "the original and the worker's clean copy are in the bucket");
}

#[test]
fn an_s3_store_without_a_bucket_is_one_line_and_exit_2() {
    assert_setting_refused("TRESOR__DOCUMENTS__STORE", "s3", "documents.s3.bucket");
}

#[actix_web::test]
async fn an_upload_while_the_bucket_does_not_answer_is_503_with_retry_after() {
    let Some(s3) = s3::required_server("an_upload_while_the_bucket_does_not_answer_is_503") else { return };
    let closed = crate::support::jobs::free_port();
    let app = spawn_app_with(|f| {
        s3.configure(f, "unreachable")
            .merge(figment::providers::Serialized::default(
                "documents.s3.endpoint",
                format!("http://127.0.0.1:{closed}"),
            ))
            .merge(figment::providers::Serialized::default("documents.s3.timeout_secs", 3))
    })
    .await;
    let user = app.signed_in().await;
    let jpeg = documents::jpeg(&document_image(1200, 800));
    let started = std::time::Instant::now();
    let response = app.upload_form(&user.access, form("passport", None, "p.jpg", &jpeg)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "the upload does not hang: {:?}", started.elapsed());
    assert!(response.headers().contains_key("retry-after"));
    let body = crate::support::assert_problem(response, 503, "service-unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("document store"), "{body}");
    let list: Value = app.get_authed("/v1/documents", &user.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "no document row without its file");
}
