//! `[metrics] bind`: /metrics moves to a private address and leaves the public port.

use figment::providers::Serialized;

use crate::support::{assert_problem, assert_setting_refused, spawn_app, spawn_app_with};

#[actix_web::test]
async fn metrics_are_served_on_the_private_address_and_absent_from_the_public_port() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("metrics.bind", "127.0.0.1:0"))).await;
    app.health_live().await;
    let private = app.metrics_address.clone().expect("a private metrics server runs");
    let response = app.client.get(format!("{private}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"route="/health/live""#), "{text}");
    assert_problem(app.metrics().await, 404, "not-found").await;
    let other = app.client.get(format!("{private}/health/live")).send().await.unwrap();
    assert_eq!(other.status(), 404, "the private address serves /metrics alone");
    let doc = app.openapi().await;
    assert!(doc["paths"]["/metrics"].is_null(), "the public API does not describe /metrics");
}

#[actix_web::test]
async fn metrics_stay_on_the_public_port_without_a_private_address() {
    let app = spawn_app().await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.metrics().await.status(), 200);
}

#[test]
fn a_bad_metrics_address_is_one_line_and_exit_2() {
    assert_setting_refused("TRESOR__METRICS__BIND", "localhost", "metrics.bind");
}
