//! clamd, when `[scan] clamd` names one. `TEST_CLAMD` (a unix socket path or host:port) points
//! the suite at a real clamd whose database holds the test signatures `.ci/run` writes:
//! `Tresor-Eicar-Test` (EICAR) and `Tresor-Clamd-Test-Marker` (a string only clamd knows).

use figment::providers::Serialized;
use tresor::documents::{DocumentType, ScanStatus};
use uuid::Uuid;

use crate::support::documents::{self, scan, uploaded};
use crate::support::{TestApp, spawn_app_with};

/// Known to the test clamd's database, unknown to the built-in signatures.
const CLAMD_ONLY_MARKER: &str = "TRESOR-CLAMD-TEST-MARKER-5d1c";

async fn app_with_clamd(address: &str) -> TestApp {
    let address = address.to_owned();
    spawn_app_with(move |figment| {
        figment
            .merge(Serialized::default("scan.clamd", address))
            .merge(Serialized::default("scan.clamd_timeout_secs", 5))
    })
    .await
}

async fn finding(app: &TestApp, version: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT finding FROM document_scans WHERE version_id = $1")
        .bind(version.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_unreachable_clamd_fails_the_scan_instead_of_passing_the_file() {
    for address in ["127.0.0.1:1", "/nonexistent/clamd.sock"] {
        let app = app_with_clamd(address).await;
        let version = uploaded(&app, Uuid::now_v7(), DocumentType::Other, &documents::plain_pdf("x")).await;
        let error = app.state.documents.scan(version.version_id).await.unwrap_err();
        assert!(error.to_string().contains("clamd"), "{error}");
        let pending = app.state.documents.pending_scans(chrono::Utc::now(), 10).await.unwrap();
        assert_eq!(pending, vec![version.version_id], "still pending, so the sweeper retries it");
    }
}

#[actix_web::test]
async fn a_real_clamd_is_asked_and_its_findings_reject_the_file() {
    let Ok(address) = std::env::var("TEST_CLAMD") else {
        eprintln!("TEST_CLAMD is not set: skipping the real-clamd test (.ci/run starts one)");
        return;
    };
    let app = app_with_clamd(&address).await;
    let owner = Uuid::now_v7();

    let clean = uploaded(&app, owner, DocumentType::Other, &documents::plain_pdf("nothing to see")).await;
    assert_eq!(scan(&app, &clean).await.status, ScanStatus::Clean);

    let marked = uploaded(&app, owner, DocumentType::Other, &documents::plain_pdf(CLAMD_ONLY_MARKER)).await;
    let outcome = scan(&app, &marked).await;
    assert_eq!(outcome.rejection_reason.as_deref(), Some("the file contains a known malware signature"));
    let found = finding(&app, marked.version_id).await.unwrap();
    assert!(found.starts_with("clamd: Tresor-Clamd-Test-Marker"), "{found}");

    let eicar = [documents::plain_pdf("x"), documents::EICAR_BYTES.to_vec()].concat();
    let version = uploaded(&app, owner, DocumentType::Other, &eicar).await;
    assert_eq!(scan(&app, &version).await.status, ScanStatus::Rejected);
    assert!(finding(&app, version.version_id).await.unwrap().starts_with("clamd: Tresor-Eicar-Test"));
}
