//! What every response shares: the problem+json shape of errors and the security headers.

/// Asserts the contract every error shares: problem+json with a slug, the security headers and
/// a request id. Returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, slug: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_security_headers(response.headers());
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["type"], format!("/problems/{slug}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

pub fn assert_security_headers(headers: &reqwest::header::HeaderMap) {
    for name in ["strict-transport-security", "content-security-policy", "x-request-id"] {
        assert!(headers.contains_key(name), "missing {name}");
    }
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}
