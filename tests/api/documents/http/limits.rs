//! The size limit over a real socket (413 without reading the whole upload) and the upload rate
//! limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use figment::providers::Serialized;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::documents::{self, files_under, form};
use crate::support::{TestApp, assert_problem, spawn_app, spawn_app_with};

const BOUNDARY: &str = "tresor-limit-boundary";
const OFFERED: u64 = 100 * 1024 * 1024;

fn head(app: &TestApp, token: &str, length: Option<u64>) -> String {
    let port = app.address.rsplit(':').next().unwrap();
    let framing = match length {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    format!(
        "POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
    )
}

fn preamble() -> Vec<u8> {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\nother\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&documents::plain_pdf("big"));
    out
}

/// Reads one response head from `stream`; returns its status line and headers.
async fn response_head(stream: &mut tokio::net::tcp::OwnedReadHalf) -> String {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before a response: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[actix_web::test]
async fn a_declared_length_over_10_mib_is_413_before_the_body_is_read() {
    let app = spawn_app().await;
    let user = app.signed_in().await;
    let stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write.write_all(head(&app, &user.access, Some(OFFERED)).as_bytes()).await.unwrap();
    write.write_all(&preamble()).await.unwrap();
    // Not another byte is sent: the answer must come from the declared length alone.
    let answer = tokio::time::timeout(std::time::Duration::from_secs(20), response_head(&mut read)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
}

#[actix_web::test]
async fn a_streamed_upload_over_10_mib_is_413_without_reading_the_rest() {
    let app = spawn_app().await;
    let user = app.signed_in().await;
    let stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let (sent, answered) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let (writer_sent, writer_answered) = (sent.clone(), answered.clone());
    let writer_head = head(&app, &user.access, None);
    let writer = tokio::spawn(async move {
        let chunk = |data: &[u8]| [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
        write.write_all(writer_head.as_bytes()).await?;
        write.write_all(&chunk(&preamble())).await?;
        let filler = chunk(&vec![b' '; 64 * 1024]);
        while writer_sent.load(Ordering::SeqCst) < OFFERED && !writer_answered.load(Ordering::SeqCst) {
            write.write_all(&filler).await?;
            writer_sent.fetch_add(64 * 1024, Ordering::SeqCst);
        }
        Ok::<_, std::io::Error>(())
    });
    let answer = tokio::time::timeout(std::time::Duration::from_secs(120), response_head(&mut read)).await.unwrap();
    answered.store(true, Ordering::SeqCst);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let _ = writer.await;
    let sent = sent.load(Ordering::SeqCst);
    assert!(sent < OFFERED / 2, "the server answered after {sent} bytes of {OFFERED} offered");
    let files = files_under(&app.documents_dir());
    assert!(files.is_empty(), "no partial file is left behind: {files:?}");
}

#[actix_web::test]
async fn uploads_are_rate_limited_per_user() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("rate_limits.document_upload", "2/min"))).await;
    let (user, other) = (app.signed_in().await, app.signed_in().await);
    let pdf = documents::plain_pdf("x");
    for _ in 0..2 {
        assert_eq!(app.upload_form(&user.access, form("other", None, "x.pdf", &pdf)).await.status(), 201);
    }
    let response = app.upload_form(&user.access, form("other", None, "x.pdf", &pdf)).await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = assert_problem(response, 429, "rate-limited").await;
    assert!(body["detail"].as_str().unwrap().contains("document_upload"), "{body}");
    assert_eq!(app.upload_form(&other.access, form("other", None, "x.pdf", &pdf)).await.status(), 201, "per user");
}
