//! Documents through their service, on the test's database and data folder: upload, scan,
//! versions, signed downloads. `http` drives the same through the endpoints and the job worker.

mod clamd;
pub mod http;
mod links;
mod pdf;
mod rotation;
mod scan;
mod storage;
mod sweep;
mod tamper;
mod upload;

use futures::StreamExt;
use tresor::audit::Actor;
use tresor::documents::download::Download;
use tresor::documents::{Access, DocumentType, DocumentVersion, Documents, ScanOutcome, UploadError};
use uuid::Uuid;

use crate::support::{TestApp, spawn_app_with};

pub fn docs(app: &TestApp) -> &Documents {
    &app.state.documents
}

/// The app with the scanner's blur threshold and sizes at their defaults and clamd off. No job
/// worker runs in a test app unless started: these tests scan when they choose to.
pub async fn app() -> TestApp {
    spawn_app_with(|figment| figment).await
}

pub fn actor(user: Uuid) -> Actor {
    Actor { user_id: Some(user), ip: Some("127.0.0.1".into()), user_agent: Some("tests".into()) }
}

/// Uploads `bytes` in 8 KiB pieces, as a multipart field stream would deliver them.
pub async fn upload(
    app: &TestApp,
    owner: Uuid,
    document_type: DocumentType,
    name: Option<&str>,
    bytes: &[u8],
) -> Result<DocumentVersion, UploadError> {
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = bytes.chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
    let upload = tresor::documents::NewUpload { owner_id: owner, document_type, name: name.map(str::to_owned) };
    docs(app).upload(&actor(owner), upload, futures::stream::iter(pieces)).await
}

pub async fn uploaded(app: &TestApp, owner: Uuid, document_type: DocumentType, bytes: &[u8]) -> DocumentVersion {
    upload(app, owner, document_type, None, bytes).await.expect("upload succeeds")
}

pub async fn scan(app: &TestApp, version: &DocumentVersion) -> ScanOutcome {
    docs(app).scan(version.version_id).await.expect("scan runs")
}

/// Uploads and scans; returns the verdict.
pub async fn verdict(app: &TestApp, document_type: DocumentType, bytes: &[u8]) -> ScanOutcome {
    let version = uploaded(app, Uuid::now_v7(), document_type, bytes).await;
    scan(app, &version).await
}

/// The link's token (the last path segment of its URL).
pub async fn token(app: &TestApp, owner: Uuid, document: Uuid, version: Option<i64>) -> String {
    let link = docs(app).link(owner, &Access::Owner(owner), document, version).await.expect("link");
    link.url.rsplit('/').next().unwrap().to_owned()
}

pub async fn body(download: Download) -> Result<Vec<u8>, std::io::Error> {
    let mut stream = Box::pin(download.body.into_stream());
    let mut all = Vec::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(all)
}

/// Downloads the owner's version through a fresh link.
pub async fn download(app: &TestApp, owner: Uuid, document: Uuid, version: Option<i64>) -> (Download, Vec<u8>) {
    let token = token(app, owner, document, version).await;
    let download = docs(app).download(&actor(owner), &token, Some(owner)).await.expect("download");
    let content_type = download.content_type;
    let filename = download.filename.clone();
    let size = download.size;
    let bytes = body(download).await.expect("body decrypts");
    let again = docs(app).download(&actor(owner), &token, None).await.expect("link works twice within 5 minutes");
    assert_eq!((again.content_type, again.filename.clone()), (content_type, filename));
    assert_eq!(size as usize, bytes.len());
    (again, bytes)
}

pub fn slug(error: tresor::error::Error) -> (u16, String) {
    match error {
        tresor::error::Error::Rejected(p) => (p.status, p.kind.trim_start_matches("/problems/").to_owned()),
        other => panic!("expected a problem, got {other:?}"),
    }
}

/// Every file under `dir`, recursively (no crate needed for that).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}
