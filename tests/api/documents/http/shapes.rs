//! Wrong multipart shapes: each a 400 (415 when the body is not multipart) naming the problem,
//! and nothing stored.

use serde_json::{Value, json};

use crate::support::documents::{self, files_under, form};
use crate::support::{TestApp, assert_problem, spawn_app_with};

/// Multipart parts: field name (empty = none) and content.
type Parts<'a> = Vec<(&'a str, &'a [u8])>;

const BOUNDARY: &str = "tresor-test-boundary-7d1e";

/// A multipart body written by hand, so that any shape can be sent.
fn body(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in parts {
        let disposition = match *name {
            "file" => format!("form-data; name=\"{name}\"; filename=\"x.pdf\""),
            "" => "form-data".to_owned(),
            _ => format!("form-data; name=\"{name}\""),
        };
        out.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes());
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn send(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    let request = app.client.post(app.url("/v1/documents")).bearer_auth(token).header("content-type", content_type);
    request.body(body).send().await.unwrap()
}

async fn multipart(app: &TestApp, token: &str, parts: &[(&str, &[u8])]) -> reqwest::Response {
    send(app, token, &format!("multipart/form-data; boundary={BOUNDARY}"), body(parts)).await
}

#[actix_web::test]
async fn wrong_multipart_shapes_are_400_naming_the_problem_and_store_nothing() {
    // Every attempt counts against `document_upload`; this test makes more than it allows.
    let off = figment::providers::Serialized::default("rate_limits.document_upload", "off");
    let app = spawn_app_with(|f| f.merge(off)).await;
    let user = app.signed_in().await;
    let pdf = documents::plain_pdf("x");
    let cases: Vec<(&str, Parts, &str)> = vec![
        (
            "file first",
            vec![("file", &pdf), ("document_type", b"passport")],
            "`document_type` is required and must come before `file`",
        ),
        ("no file", vec![("document_type", b"passport"), ("name", b"x")], "`file` is required"),
        ("nothing", vec![], "`document_type` is required"),
        (
            "unknown field",
            vec![("document_type", b"passport"), ("colour", b"red"), ("file", &pdf)],
            "unknown field \"colour\"",
        ),
        (
            "twice",
            vec![("document_type", b"passport"), ("document_type", b"selfie"), ("file", &pdf)],
            "`document_type` was sent twice",
        ),
        (
            "bad type",
            vec![("document_type", b"library_card"), ("file", &pdf)],
            "document_type must be one of government_id, passport",
        ),
        (
            "field after file",
            vec![("document_type", b"passport"), ("file", &pdf), ("name", b"late")],
            "`file` must be the last part",
        ),
        (
            "two files",
            vec![("document_type", b"passport"), ("file", &pdf), ("file", &pdf)],
            "`file` must be the last part",
        ),
        ("no field name", vec![("", b"passport")], "'name' parameter was not found"),
        (
            "long name",
            vec![("document_type", b"passport"), ("name", &[b'a'; 2000]), ("file", &pdf)],
            "`name` must be at most 1024 bytes",
        ),
        (
            "control characters",
            vec![("document_type", b"passport"), ("name", b"a\x07b"), ("file", &pdf)],
            "name must not contain control characters",
        ),
    ];
    for (what, parts, words) in cases {
        let response = multipart(&app, &user.access, &parts).await;
        let body = assert_problem(response, 400, "invalid-request").await;
        let errors: Vec<&str> = body["errors"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(_, m)| m.as_array().unwrap())
            .map(|m| m.as_str().unwrap())
            .collect();
        let text = format!("{} {}", body["detail"].as_str().unwrap(), errors.join(" "));
        assert!(text.contains(words), "{what}: {body}");
    }

    let mut cut = body(&[("document_type", b"passport"), ("file", &pdf)]);
    cut.truncate(cut.len() - 30);
    let response = send(&app, &user.access, &format!("multipart/form-data; boundary={BOUNDARY}"), cut).await;
    let body = assert_problem(response, 400, "invalid-request").await;
    assert!(body["detail"].as_str().unwrap().contains("multipart"), "{body}");

    for content_type in ["application/json", "multipart/form-data", "text/plain; boundary=x"] {
        let response = send(&app, &user.access, content_type, b"{}".to_vec()).await;
        let body = assert_problem(response, 415, "unsupported-media-type").await;
        assert!(body["detail"].as_str().unwrap().contains("multipart/form-data"), "{body}");
    }
    let list: Value = app.get_authed("/v1/documents", &user.access).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]), "nothing was stored");
    let files = files_under(&app.documents_dir());
    assert!(files.is_empty(), "no file left behind: {files:?}");

    let anonymous = app.client.post(app.url("/v1/documents")).multipart(form("passport", None, "x.pdf", &pdf));
    assert_problem(anonymous.send().await.unwrap(), 401, "unauthenticated").await;
}
