//! No plain-text or HTML error ever leaves the server: actix's own errors are problems too.

use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let body = assert_problem(app.get("/v1/nothing-here").await, 404, "not-found").await;
    assert!(body["detail"].as_str().unwrap().contains("/v1/nothing-here"));
}

#[actix_web::test]
async fn a_wrong_method_on_a_known_path_is_a_405_problem_saying_what_is_allowed() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405, "method-not-allowed").await;

    // A templated path answering several methods lists them all; an id that does not exist
    // still matches the template (405 says nothing about the resource).
    let path = format!("/v1/accounts/{}", uuid::Uuid::new_v4());
    let response = app.client.put(app.url(&path)).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405, "method-not-allowed").await;
    let response = app.client.put(app.url("/v1/users/me")).send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert_problem(response, 405, "method-not-allowed").await;

    // An unknown path stays a 404.
    let response = app.client.put(app.url("/v1/nothing-here")).send().await.unwrap();
    assert_problem(response, 404, "not-found").await;
}

#[actix_web::test]
async fn internal_errors_never_leak_their_cause() {
    let app = spawn_app().await;
    // The reader pool is read-only on SQLite and closed here on both engines: a store failure.
    app.state.db.close().await;
    let response = app.metrics().await; // metrics do not touch the database: still 200
    assert_eq!(response.status(), 200);
    let body = assert_problem(app.health_ready().await, 503, "not-ready").await;
    let text = body.to_string().to_lowercase();
    for leak in ["sqlx", "pool", "select", "panicked"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

mod extractors {
    //! Extractor failures, through the real app factory (middleware and extractor configs) with
    //! one probe route added, since the spine has no JSON endpoint of its own yet.
    use actix_web::{HttpResponse, test, web};
    use serde::Deserialize;

    use crate::support::spawn_app;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        amount: i64,
    }

    async fn probe(_id: web::Path<uuid::Uuid>, _body: web::Json<Probe>) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    async fn call(req: test::TestRequest) -> (u16, String, serde_json::Value) {
        let app = spawn_app().await;
        let service =
            test::init_service(tresor::http::build_app(app.state.clone()).route("/probe/{id}", web::post().to(probe)))
                .await;
        let response = test::call_service(&service, req.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for name in ["x-request-id", "strict-transport-security", "content-security-policy"] {
            assert!(headers.contains_key(name), "missing {name}");
        }
        let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let body: serde_json::Value = test::read_body_json(response).await;
        (status, content_type, body)
    }

    const ID: &str = "/probe/0192f6a0-0000-7000-8000-000000000000";

    #[actix_web::test]
    async fn a_valid_probe_passes_so_the_failures_below_are_meaningful() {
        let app = spawn_app().await;
        let service =
            test::init_service(tresor::http::build_app(app.state.clone()).route("/probe/{id}", web::post().to(probe)))
                .await;
        let req = test::TestRequest::post().uri(ID).set_json(serde_json::json!({"amount": 5}));
        assert_eq!(test::call_service(&service, req.to_request()).await.status(), 204);
    }

    #[actix_web::test]
    async fn malformed_json_is_a_400_problem() {
        let req = test::TestRequest::post()
            .uri(ID)
            .insert_header(("content-type", "application/json"))
            .set_payload("{\"amount\": ");
        let (status, content_type, body) = call(req).await;
        assert_eq!((status, content_type.as_str()), (400, "application/problem+json"));
        assert_eq!(body["type"], "/problems/invalid-request");
        assert!(body["detail"].as_str().unwrap().contains("not valid JSON"), "{body}");
    }

    #[actix_web::test]
    async fn an_unknown_field_is_a_400_problem_naming_it() {
        let req = test::TestRequest::post().uri(ID).set_json(serde_json::json!({"amount": 5, "amuont": 6}));
        let (status, _, body) = call(req).await;
        assert_eq!(status, 400);
        assert!(body["detail"].as_str().unwrap().contains("amuont"), "{body}");
    }

    #[actix_web::test]
    async fn a_wrong_content_type_is_a_415_problem() {
        let req = test::TestRequest::post()
            .uri(ID)
            .insert_header(("content-type", "text/plain"))
            .set_payload("{\"amount\": 5}");
        let (status, content_type, body) = call(req).await;
        assert_eq!((status, content_type.as_str()), (415, "application/problem+json"));
        assert_eq!(body["type"], "/problems/unsupported-media-type");
    }

    #[actix_web::test]
    async fn an_oversized_body_is_a_413_problem() {
        let big = format!("{{\"amount\": 1, \"pad\": \"{}\"}}", "x".repeat(70_000));
        let req =
            test::TestRequest::post().uri(ID).insert_header(("content-type", "application/json")).set_payload(big);
        let (status, _, body) = call(req).await;
        assert_eq!(status, 413);
        assert_eq!(body["type"], "/problems/payload-too-large");
    }

    #[actix_web::test]
    async fn a_bad_path_parameter_is_a_400_problem() {
        let req = test::TestRequest::post().uri("/probe/not-a-uuid").set_json(serde_json::json!({"amount": 5}));
        let (status, _, body) = call(req).await;
        assert_eq!(status, 400);
        assert!(body["detail"].as_str().unwrap().contains("path"), "{body}");
    }
}
