//! What slow and numerous clients can hold: a trickled body is cut off (408) within
//! `server.body_timeout_secs`, requests beyond `server.max_in_flight` are answered 503 with
//! `Retry-After` at once (probes still answer), and on PostgreSQL a statement longer than
//! `database.statement_timeout_ms` is cancelled.

use std::time::{Duration, Instant};

use figment::providers::Serialized;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestApp, assert_problem, spawn_app_with};

/// A connection that sent a login request's head and the first bytes of its 100-byte body,
/// then one more byte every 200 ms until the server answers or the stream is dropped.
struct Trickle {
    read: tokio::net::tcp::OwnedReadHalf,
    writer: tokio::task::JoinHandle<()>,
}

impl Trickle {
    async fn start(app: &TestApp) -> Self {
        let stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
        let (read, mut write) = stream.into_split();
        let head = "POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                    Content-Length: 100\r\n\r\n{\"email\": \"";
        write.write_all(head.as_bytes()).await.unwrap();
        let writer = tokio::spawn(async move {
            for _ in 0..90 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if write.write_all(b"a").await.is_err() {
                    return;
                }
            }
        });
        Self { read, writer }
    }

    /// The status line of the answer, or `None` when the connection closed without one.
    async fn answer(&mut self) -> Option<String> {
        let mut seen = Vec::new();
        let mut buf = [0_u8; 1024];
        while !seen.windows(2).any(|w| w == b"\r\n") {
            let n = self.read.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).lines().next().map(str::to_owned)
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

#[actix_web::test]
async fn a_trickled_body_is_cut_off_with_408_within_the_body_timeout() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("server.body_timeout_secs", 1))).await;
    let started = Instant::now();
    let mut trickle = Trickle::start(&app).await;
    let answer = tokio::time::timeout(Duration::from_secs(10), trickle.answer()).await.expect("answered in time");
    let elapsed = started.elapsed();
    assert_eq!(answer.as_deref(), Some("HTTP/1.1 408 Request Timeout"), "after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "cut off after {elapsed:?}");
    // The connection is closed after the answer: the rest of the body is never waited for.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), trickle.read.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the server closes the connection");
    let metrics = app.metrics().await.text().await.unwrap();
    assert!(metrics.contains("http_body_timeouts_total"), "counted");
}

#[actix_web::test]
async fn requests_beyond_the_in_flight_cap_are_answered_503_with_retry_after() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("server.max_in_flight", 3))
            .merge(Serialized::default("server.body_timeout_secs", 30))
    })
    .await;
    let trickles = [Trickle::start(&app).await, Trickle::start(&app).await, Trickle::start(&app).await];
    // Wait until the three hold their places.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app.get("/v1/users/me").await;
        if response.status() == 503 {
            assert_eq!(response.headers()["retry-after"], "1");
            assert_problem(response, 503, "overloaded").await;
            break;
        }
        assert!(Instant::now() < deadline, "the cap never filled: {}", response.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    assert_problem(app.post_json("/v1/auth/login", &serde_json::json!({})).await, 503, "overloaded").await;
    assert!(started.elapsed() < Duration::from_secs(1), "refused at once");
    assert_eq!(app.health_live().await.status(), 200, "probes are exempt");
    assert_eq!(app.metrics().await.status(), 200);
    // Closing the slow connections frees their places.
    drop(trickles);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.get("/v1/users/me").await.status();
        if status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "places were not freed: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_statement_longer_than_the_timeout_is_cancelled_on_postgresql() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("database.statement_timeout_ms", 300))).await;
    if !app.database.is_postgres() {
        return; // SQLite has no statement timeout; its busy timeout bounds lock waits.
    }
    let started = Instant::now();
    let slow = sqlx::query("SELECT pg_sleep(3)").execute(app.state.db.reader()).await;
    let error = slow.expect_err("cancelled").to_string();
    assert!(error.contains("statement timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2), "cancelled after {:?}", started.elapsed());
    sqlx::query("SELECT pg_sleep(0.05)").execute(app.state.db.reader()).await.expect("short statements run");
    // Migrations run without the limit (they may rewrite large tables).
    let output = app.cli(&["migrate"]);
    assert_eq!(output.status.code(), Some(0));
}
