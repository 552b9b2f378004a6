//! The documents service as the `scan_document` job and the sweeper see it.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tresor_jobs::handlers::{DocumentScanner, Sweeper};
use tresor_jobs::store::NewJob;
use tresor_jobs::{JobError, ScanDocument};
use uuid::Uuid;

use crate::documents::{Documents, ScanError};

pub struct Scanner {
    pub documents: Documents,
}

impl DocumentScanner for Scanner {
    fn scan(&self, version_id: Uuid) -> BoxFuture<'_, Result<&'static str, JobError>> {
        Box::pin(async move {
            match self.documents.scan(version_id).await {
                Ok(outcome) => Ok(outcome.status.as_str()),
                Err(error @ ScanError::UnknownVersion(_)) => Err(JobError::permanent(error)),
                // `{:#}`: the whole cause chain goes to the job's error, never to a customer.
                Err(ScanError::Failed(error)) => Err(JobError::retryable(format!("{error:#}"))),
            }
        })
    }
}

/// Versions still `pending_scan` after the grace period get their `scan_document` job again
/// (keyed by version, so a job that still exists is not duplicated).
pub struct ScanSweeper {
    pub documents: Documents,
    pub grace: std::time::Duration,
    pub max_attempts: usize,
}

impl Sweeper for ScanSweeper {
    fn name(&self) -> &'static str {
        "document_scans"
    }

    fn pending(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<NewJob>, JobError>> {
        Box::pin(async move {
            let before = now - chrono::Duration::from_std(self.grace).map_err(JobError::permanent)?;
            let ids = self.documents.pending_scans(before, 500).await?;
            ids.into_iter()
                .map(|version_id| {
                    NewJob::of(&ScanDocument { version_id }, self.max_attempts).map_err(JobError::permanent)
                })
                .collect()
        })
    }
}
