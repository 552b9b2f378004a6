//! The scan job: enqueued with the upload in one transaction, re-enqueued by the sweeper when it
//! was lost, never duplicated, and run by the worker to a verdict.

use std::time::Duration;

use figment::providers::Serialized;
use tresor::db::Dialect;
use tresor::documents::{Access, DocumentType, ScanStatus};
use tresor_jobs::{handlers, queues};
use uuid::Uuid;

use crate::support::documents::{self, docs, document_image, uploaded};
use crate::support::jobs::{eventually, start_workers};
use crate::support::{TestApp, spawn_app_with};

async fn waiting_scans(app: &TestApp) -> u64 {
    let overview = app.state.jobs.overview(5).await.unwrap();
    overview.queues.iter().find(|q| q.queue == queues::SCAN_DOCUMENT).map_or(0, |q| q.waiting)
}

#[actix_web::test]
async fn a_document_stuck_in_pending_scan_is_swept_once_and_then_scanned_by_the_worker() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("jobs.sweep_grace_secs", 0)).merge(Serialized::default("jobs.poll_interval_ms", 50))
    })
    .await;
    let owner = Uuid::now_v7();
    let version = uploaded(&app, owner, DocumentType::Passport, &documents::jpeg(&document_image(900, 700))).await;
    assert_eq!(waiting_scans(&app).await, 1, "the upload enqueued its scan in the same transaction");

    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let sweeper = services.sweepers.iter().find(|s| s.name() == "document_scans").expect("the scan sweeper");
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    let found = sweeper.pending(later).await.unwrap();
    assert_eq!((found.len(), found[0].queue), (1, queues::SCAN_DOCUMENT));
    handlers::sweep(&services, &app.state.jobs).await.unwrap();
    assert_eq!(waiting_scans(&app).await, 1, "a job that exists is not duplicated");

    // The job is lost (a crash between commit and enqueue, a queue wiped): the sweeper restores it.
    let delete = match app.state.db.dialect() {
        Dialect::Sqlite => "DELETE FROM Jobs WHERE job_type = $1",
        Dialect::Postgres => "DELETE FROM apalis.jobs WHERE job_type = $1",
    };
    sqlx::query(delete).bind(queues::SCAN_DOCUMENT).execute(app.state.db.writer()).await.unwrap();
    assert_eq!(waiting_scans(&app).await, 0);
    handlers::sweep(&services, &app.state.jobs).await.unwrap();
    handlers::sweep(&services, &app.state.jobs).await.unwrap();
    assert_eq!(waiting_scans(&app).await, 1, "re-enqueued once");

    let workers = start_workers(
        &app.state.jobs,
        tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap(),
        false,
    );
    eventually(Duration::from_secs(60), "the worker's verdict", async || {
        docs(&app).get(&Access::Owner(owner), version.id).await.unwrap().status != ScanStatus::PendingScan
    })
    .await;
    assert_eq!(docs(&app).get(&Access::Owner(owner), version.id).await.unwrap().status, ScanStatus::Clean);
    assert!(sweeper.pending(later).await.unwrap().is_empty(), "a scanned document is not swept");
    workers.stop().await;
}

#[actix_web::test]
async fn a_scan_job_for_a_version_that_does_not_exist_fails_permanently() {
    let app = spawn_app_with(|f| f).await;
    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let job = tresor_jobs::ScanDocument { version_id: Uuid::now_v7() };
    let error = handlers::scan_document(&services, job).await.unwrap_err();
    assert!(error.is_permanent(), "{error}");
}
