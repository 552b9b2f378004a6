//! `/openapi.json` checked by an independent OpenAPI 3.1 validator (Python's
//! openapi-spec-validator). Skipped with a printed reason when it is not installed, unless
//! `TRESOR_TEST_OPENAPI=required` (CI sets it and installs the validator).

use std::process::Command;

use crate::support::spawn_app;

fn validator_available() -> bool {
    Command::new("python3").args(["-c", "import openapi_spec_validator"]).output().is_ok_and(|o| o.status.success())
}

#[actix_web::test]
async fn the_served_document_is_valid_openapi_3_1() {
    if !validator_available() {
        assert_ne!(
            std::env::var("TRESOR_TEST_OPENAPI").as_deref(),
            Ok("required"),
            "TRESOR_TEST_OPENAPI=required but openapi-spec-validator is not installed"
        );
        eprintln!("skipped: pip install openapi-spec-validator to validate /openapi.json");
        return;
    }
    let app = spawn_app().await;
    let document = app.get("/openapi.json").await.text().await.unwrap();
    let file = app.data_dir.path().join("openapi.json");
    std::fs::write(&file, document).unwrap();
    let output =
        Command::new("python3").args(["-m", "openapi_spec_validator", "--schema", "3.1"]).arg(&file).output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every operation of the served document, as (path, method, operation).
fn operations(document: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                all.push((path.clone(), method.clone(), operation.clone()));
            }
        }
    }
    all
}

fn resolve<'a>(document: &'a serde_json::Value, schema: &'a serde_json::Value) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[actix_web::test]
async fn every_operation_declares_the_responses_it_really_has() {
    let app = spawn_app().await;
    let document = app.openapi().await;
    let mut missing = Vec::new();
    for (path, method, operation) in operations(&document) {
        let responses = &operation["responses"];
        let secured = operation["security"]
            .as_array()
            .is_some_and(|list| !list.is_empty() && list.iter().all(|r| r.as_object().is_some_and(|o| !o.is_empty())));
        let has_body = operation.get("requestBody").is_some();
        let has_parameters = operation["parameters"].as_array().is_some_and(|p| !p.is_empty());
        let mut expect = Vec::new();
        if secured {
            expect.push("401");
        }
        if has_body {
            expect.extend(["400", "413", "415"]);
        }
        if has_parameters {
            expect.push("400");
        }
        for status in expect {
            if responses.get(status).is_none() {
                missing.push(format!("{method} {path}: {status}"));
            }
        }
        // The hosted pages and the console answer HTML, their error states included
        // (docs/browser-sessions.md, docs/console.md).
        let page = operation["tags"].as_array().is_some_and(|tags| {
            tags.contains(&serde_json::json!("hosted pages")) || tags.contains(&serde_json::json!("staff console"))
        });
        for (status, response) in responses.as_object().unwrap() {
            let Ok(code) = status.parse::<u16>() else { continue };
            if code < 400 || (page && response["content"].get("text/html").is_some()) {
                continue;
            }
            let content = response["content"].as_object().cloned().unwrap_or_default();
            let types: Vec<&String> = content.keys().collect();
            if types != ["application/problem+json"] {
                missing.push(format!("{method} {path}: {status} is {types:?}, not application/problem+json"));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[actix_web::test]
async fn every_request_body_has_an_example() {
    let app = spawn_app().await;
    let document = app.openapi().await;
    let mut missing = Vec::new();
    for (path, method, operation) in operations(&document) {
        let Some(content) = operation["requestBody"]["content"].as_object() else { continue };
        for (media, body) in content {
            // An optional body is `oneOf: [null, $ref]`: the referenced schema carries the example.
            let variants: Vec<&serde_json::Value> = match body["schema"]["oneOf"].as_array() {
                Some(variants) => variants.iter().collect(),
                None => vec![&body["schema"]],
            };
            let has_example = body.get("example").is_some()
                || body.get("examples").is_some()
                || variants
                    .iter()
                    .map(|v| resolve(&document, v))
                    .any(|s| s.get("example").is_some() || s.get("examples").is_some())
                || media == "multipart/form-data";
            if !has_example {
                missing.push(format!("{method} {path} ({media})"));
            }
        }
    }
    assert!(missing.is_empty(), "request bodies without an example: {missing:#?}");
}

#[actix_web::test]
async fn the_limits_the_server_enforces_are_in_the_schema() {
    let app = spawn_app().await;
    let document = app.openapi().await;
    // Every `limit` query parameter is 1..200.
    let mut limits = 0;
    for (path, method, operation) in operations(&document) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["name"] == "limit" {
                limits += 1;
                assert_eq!(parameter["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(parameter["schema"]["maximum"], 200, "{method} {path}");
            }
            if parameter["name"] == "Idempotency-Key" {
                assert_eq!(parameter["schema"]["minLength"], 1, "{method} {path}");
                assert_eq!(parameter["schema"]["maxLength"], 255, "{method} {path}");
            }
        }
    }
    assert!(limits >= 5, "{limits} limit parameters");
    let amount = &document["components"]["schemas"]["Amount"];
    assert_eq!(amount["minimum"], 1);
    assert_eq!(amount["maximum"], i64::MAX);
}

#[actix_web::test]
async fn the_profile_address_is_a_line_or_a_postal_address() {
    let app = spawn_app().await;
    let document = app.openapi().await;
    let address = &document["components"]["schemas"]["Profile"]["properties"]["address"];
    let text = address.to_string();
    assert!(!text.contains("\"object\"") || text.contains("PostalAddress"), "{text}");
    assert!(text.contains("Address"), "{text}");
    let address = &document["components"]["schemas"]["Address"];
    let variants = address["oneOf"].as_array().unwrap();
    assert!(variants.iter().any(|v| v["type"] == "string"), "{address}");
    assert!(variants.iter().any(|v| v["$ref"] == "#/components/schemas/PostalAddress"), "{address}");
}
