use crate::support::{assert_problem, assert_security_headers, spawn_app, spawn_app_with};
use figment::providers::Serialized;

#[actix_web::test]
async fn live_answers_200_with_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let response = app.health_live().await;
    assert_eq!(response.status(), 200);
    assert_security_headers(response.headers());
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[actix_web::test]
async fn ready_answers_200_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.health_ready().await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    let redis = if crate::support::redis_url().is_some() { "ok" } else { "not configured" };
    assert_eq!(body["checks"]["redis"], redis);
}

#[actix_web::test]
async fn ready_answers_503_naming_the_database_when_it_is_gone() {
    let app = spawn_app().await;
    app.state.db.close().await;
    let body = assert_problem(app.health_ready().await, 503, "not-ready").await;
    assert!(body["detail"].as_str().unwrap().contains("database"), "{body}");
    assert!(body["errors"]["database"].is_array());
}

#[actix_web::test]
async fn ready_answers_503_naming_redis_when_it_does_not_answer() {
    // Port 1 on loopback: nothing listens there.
    let app = spawn_app_with(|f| f.merge(Serialized::default("redis.url", "redis://127.0.0.1:1"))).await;
    let response = app.health_ready().await;
    assert!(response.headers().contains_key("retry-after"));
    let body = assert_problem(response, 503, "not-ready").await;
    assert_eq!(body["detail"], "not ready: redis not answering");
}

#[actix_web::test]
async fn a_valid_request_id_is_echoed_and_an_invalid_one_replaced() {
    let app = spawn_app().await;
    let echoed = app.client.get(app.url("/health/live")).header("x-request-id", "abc-123.x_y").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123.x_y");
    let replaced =
        app.client.get(app.url("/health/live")).header("x-request-id", "bad id\t<script>").send().await.unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[actix_web::test]
async fn metrics_are_prometheus_text_with_request_counts_by_route() {
    let app = spawn_app().await;
    app.health_live().await;
    app.get("/no/such/7").await;
    let response = app.metrics().await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
    assert!(text.contains(r#"route="/health/live""#));
    assert!(text.contains(r#"route="unmatched""#) || text.contains(r#"status="404""#));
    assert!(!text.contains("/no/such/7"), "raw paths never become labels");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("process_resident_memory_bytes"), "process metrics are exported");
}

#[actix_web::test]
async fn openapi_is_version_3_1_and_describes_the_operations_endpoints() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for path in ["/health/live", "/health/ready", "/metrics"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[actix_web::test]
async fn docs_serve_the_vendored_swagger_ui_with_no_external_assets() {
    let app = spawn_app().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 308);
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("http"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "nothing loads from a CDN: {html}");
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    let initializer = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}
