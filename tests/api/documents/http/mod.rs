//! The documents endpoints end to end: a real server, real multipart bodies, the `scan_document`
//! job run by a real worker, signed links fetched over HTTP.

pub mod flow;
mod limits;
mod links;
mod refusals;
mod shapes;

use std::time::Duration;

use figment::providers::Serialized;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::support::identity::SignedIn;
use crate::support::jobs::{RunningWorkers, eventually, start_workers};
use crate::support::{TestApp, spawn_app_with};

/// A test app whose workers poll often, and its running workers.
pub async fn app_with_worker() -> (TestApp, RunningWorkers) {
    let app = spawn_app_with(|f| f.merge(Serialized::default("jobs.poll_interval_ms", 50))).await;
    let workers = start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
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
