//! The exports' share of the background jobs: `cleanup` drops expired files; `sweep` re-enqueues
//! requests whose job was lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tresor_jobs::handlers::{MaintenanceTask, SweepWindow, Sweeper};
use tresor_jobs::store::NewJob;
use tresor_jobs::{BuildExport, JobError};

use super::store;
use crate::db::Db;

/// Drops the sealed file of every export whose link has expired (the row stays, `expired`).
pub struct ExpiredExports {
    pub db: Db,
}

impl MaintenanceTask for ExpiredExports {
    fn name(&self) -> &'static str {
        "exports"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move { Ok(store::expire(self.db.writer(), now).await?) })
    }
}

/// Pending requests older than the grace period get their `build_export` job again (keyed, so a
/// job that does exist is not duplicated).
pub struct ExportSweeper {
    pub db: Db,
    pub window: SweepWindow,
    pub max_attempts: usize,
}

impl Sweeper for ExportSweeper {
    fn name(&self) -> &'static str {
        "exports"
    }

    fn pending(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<NewJob>, JobError>> {
        Box::pin(async move {
            let ago = |d: Duration| chrono::Duration::from_std(d).map(|d| now - d).map_err(JobError::permanent);
            let ids =
                store::pending(self.db.reader(), ago(self.window.max_age)?, ago(self.window.grace)?, 1000).await?;
            ids.into_iter()
                .map(|export_id| NewJob::of(&BuildExport { export_id }, self.max_attempts).map_err(JobError::permanent))
                .collect()
        })
    }
}
