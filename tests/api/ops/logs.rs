//! A flood of rejected requests is the clients' business: at the default log level it writes
//! nothing (a 4xx is logged at debug, by slug, without the problem's words), and each refusal is
//! counted per slug in the metrics instead.

use std::time::Duration;

use serde_json::json;

use crate::support::cli_command;
use crate::support::process::{Process, free_port, wait_ready};

const FLOOD: usize = 300;

/// The value of `http_problems_total` for `slug` in a Prometheus text page.
fn problems(metrics: &str, slug: &str) -> u64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("http_problems_total{") && line.contains(&format!("slug=\"{slug}\"")))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|value| value as u64)
        .sum()
}

#[actix_web::test]
async fn rejected_requests_write_nothing_at_the_default_level_and_are_counted_by_slug() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = format!("sqlite://{}", data.join("tresor.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut serve = Process::start(
        cli_command(&data, &database)
            .env("RUST_LOG", "info")
            .env("TRESOR_BIND", format!("127.0.0.1:{port}"))
            .env("TRESOR__SERVER__WORKERS", "1")
            .env("TRESOR__JOBS__EMBEDDED", "false")
            .arg("serve"),
        &dir.path().join("serve.log"),
    );
    wait_ready(&base, Duration::from_secs(30)).await;
    let before = serve.log_text().len();
    let client = reqwest::Client::new();
    for n in 0..FLOOD {
        let expired = format!("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl{n}");
        let response = client.get(format!("{base}/v1/users/me")).bearer_auth(expired).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    for _ in 0..50 {
        let response = client.get(format!("{base}/v1/no-such-thing")).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let response = client.post(format!("{base}/v1/auth/login")).json(&json!({"email": 5})).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let written = &serve.log_text()[before..];
    assert!(written.len() < 200, "{} requests refused wrote {} bytes:\n{written}", FLOOD + 100, written.len());
    assert!(!written.contains("WARN"), "{written}");
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(problems(&metrics, "invalid-token"), FLOOD as u64, "{metrics}");
    assert_eq!(problems(&metrics, "not-found"), 50);
    assert_eq!(problems(&metrics, "invalid-request"), 50);
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(30)).await.code(), Some(0));
}
