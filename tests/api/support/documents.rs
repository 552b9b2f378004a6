//! Documents: real files made on the spot — PNG and JPEG from the `image` crate (then edited at
//! the byte level to carry metadata, text chunks, comments or bombs), and PDFs written by hand;
//! uploading, scanning and downloading through the documents service; and the same through the
//! endpoints, with a job worker running the scans.

use std::io::Write;
use std::time::Duration;

use figment::providers::Serialized;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use futures::StreamExt;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tresor::audit::Actor;
use tresor::documents::download::Download;
use tresor::documents::scan::signatures::EICAR;
use tresor::documents::{Access, DocumentType, DocumentVersion, Documents, ScanOutcome, UploadError};
use uuid::Uuid;

use crate::support::identity::SignedIn;
use crate::support::jobs::{RunningWorkers, eventually, start_queue_workers};
use crate::support::{TestApp, spawn_app_with};

/// Deterministic noise (xorshift), so fixtures are the same on every run.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Looks like a printed page: dark "letters" (small blocks) on a light background — sharp edges.
pub fn document_image(width: u32, height: u32) -> RgbImage {
    let mut noise = Noise::new(u64::from(width) * 31 + u64::from(height));
    let cells: Vec<bool> = (0..(width / 6 + 1) * (height / 6 + 1)).map(|_| noise.next().is_multiple_of(3)).collect();
    RgbImage::from_fn(width, height, |x, y| {
        let ink = cells[((y / 6) * (width / 6 + 1) + x / 6) as usize] && (y / 6) % 3 != 2;
        if ink { image::Rgb([20, 20, 30]) } else { image::Rgb([235, 235, 225]) }
    })
}

/// A soft gradient with no edges at all: what a badly out-of-focus photo looks like.
pub fn blurry_image(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let v = (100 + (x * 60 / width) + (y * 40 / height)) as u8;
        image::Rgb([v, v, v])
    })
}

pub fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 92)).unwrap();
    out
}

/// Inserts a JPEG segment right after SOI.
pub fn with_jpeg_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker, len[0], len[1]]);
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG carrying an EXIF segment with a GPS position in it.
pub fn jpeg_with_gps(image: &RgbImage, gps: &str) -> Vec<u8> {
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0".to_vec();
    exif.extend_from_slice(gps.as_bytes());
    with_jpeg_segment(&jpeg(image), 0xE1, &exif)
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

/// Inserts a chunk just before IEND (the last 12 bytes).
pub fn with_png_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let (body, iend) = png.split_at(png.len() - 12);
    [body, &png_chunk(kind, data), iend].concat()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn png_with_text(png: &[u8], kind: &str, text: &[u8]) -> Vec<u8> {
    match kind {
        "tEXt" => with_png_chunk(png, b"tEXt", &[b"Comment\0".as_slice(), text].concat()),
        "zTXt" => with_png_chunk(png, b"zTXt", &[b"Comment\0\0".as_slice(), &zlib(text)].concat()),
        _ => with_png_chunk(png, b"iTXt", &[b"Comment\0\x01\0en\0\0".as_slice(), &zlib(text)].concat()),
    }
}

/// A tiny PNG that declares `width`×`height` pixels: a decompression bomb.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale
    let idat = zlib(&vec![0; 64 * 1024]);
    [b"\x89PNG\r\n\x1a\n".as_slice(), &png_chunk(b"IHDR", &ihdr), &png_chunk(b"IDAT", &idat), &png_chunk(b"IEND", b"")]
        .concat()
}

/// `<< /Length n extra >> stream … endstream`.
pub fn stream(extra: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< /Length {} {extra} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A one-page PDF with `catalog_extra` in its catalog and `objects` numbered from 5 on; object
/// 4 is the page's content stream showing `text`.
pub fn pdf(catalog_extra: &str, text: &str, objects: &[Vec<u8>]) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let mut bodies: Vec<Vec<u8>> = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("", content.as_bytes()),
    ];
    bodies.extend(objects.iter().cloned());
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).as_bytes(),
    );
    out
}

pub fn plain_pdf(text: &str) -> Vec<u8> {
    pdf("", text, &[])
}

pub const EICAR_BYTES: &[u8] = EICAR.as_bytes();

/// A JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6).
pub fn jpeg_rotated(image: &RgbImage) -> Vec<u8> {
    let exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0";
    with_jpeg_segment(&jpeg(image), 0xE1, exif)
}

// Through the service, on the test's database and data folder.

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

// Through the endpoints: a real server, real multipart bodies, the `scan_document` job run by a
// real worker, signed links fetched over HTTP.

/// A test app whose workers poll often, and its running workers: the scanner and the export
/// builder. Mail stays in the outbox, unsent, so tests can read what was queued (a sent mail's
/// payload is erased).
pub async fn app_with_worker() -> (TestApp, RunningWorkers) {
    let app = spawn_app_with(|f| f.merge(Serialized::default("jobs.poll_interval_ms", 50))).await;
    let workers = start_queue_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
        &[tresor_jobs::queues::SCAN_DOCUMENT, tresor_jobs::queues::BUILD_EXPORT],
    );
    (app, workers)
}

pub fn form(document_type: &str, name: Option<&str>, file_name: &str, bytes: &[u8]) -> Form {
    let form = Form::new().text("document_type", document_type.to_owned());
    let form = match name {
        Some(name) => form.text("name", name.to_owned()),
        None => form,
    };
    form.part("file", Part::bytes(bytes.to_vec()).file_name(file_name.to_owned()))
}

impl TestApp {
    pub async fn upload_form(&self, token: &str, form: Form) -> reqwest::Response {
        let request = self.client.post(self.url("/v1/documents")).bearer_auth(token).multipart(form);
        request.send().await.expect("request is sent")
    }

    /// Uploads and asserts 201; returns the body.
    pub async fn upload_document(
        &self,
        user: &SignedIn,
        document_type: &str,
        name: Option<&str>,
        bytes: &[u8],
    ) -> Value {
        let response = self.upload_form(&user.access, form(document_type, name, "upload.bin", bytes)).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/v1/documents/"));
        response.json().await.unwrap()
    }

    pub async fn document(&self, token: &str, id: &str) -> reqwest::Response {
        self.get_authed(&format!("/v1/documents/{id}"), token).await
    }

    /// Waits for the worker's verdict on the latest version; returns the document.
    pub async fn scanned(&self, token: &str, id: &str) -> Value {
        let mut last = Value::Null;
        eventually(Duration::from_secs(60), "the scan verdict", async || {
            last = self.document(token, id).await.json().await.unwrap();
            last["status"] != "pending_scan"
        })
        .await;
        last
    }

    /// `POST /v1/documents/{id}/download` → the link's URL (200 asserted).
    pub async fn download_link(&self, token: &str, id: &str, body: &Value) -> String {
        let response = self.post_authed(&format!("/v1/documents/{id}/download"), token, body).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let link: Value = response.json().await.unwrap();
        let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
        let ttl = expires.signed_duration_since(chrono::Utc::now()).num_seconds();
        assert!((240..=300).contains(&ttl), "valid 5 minutes: {ttl}");
        link["url"].as_str().unwrap().to_owned()
    }
}

/// The path of a link (`{public url}/v1/files/…`), to fetch from the test server.
pub fn path_of(url: &str) -> String {
    format!("/v1/files/{}", url.rsplit("/v1/files/").next().unwrap())
}
