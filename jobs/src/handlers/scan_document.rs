//! `scan_document`: scan one uploaded document version. The scanning itself belongs to the
//! application (it holds the store, the keys and the scanner); this crate only runs it, and the
//! scanner's own rules make it idempotent (a version gets one verdict, written once).

use crate::error::JobError;
use crate::handlers::Services;
use crate::job::ScanDocument;

#[tracing::instrument(skip_all, fields(version_id = %job.version_id))]
pub async fn scan_document(services: &Services, job: ScanDocument) -> Result<(), JobError> {
    let Some(scanner) = &services.scanner else {
        return Err(JobError::retryable("this worker has no document scanner configured"));
    };
    let verdict = scanner.scan(job.version_id).await?;
    tracing::info!(verdict, "document scanned");
    Ok(())
}
