//! `expire_lockouts` (every minute), `cleanup` (hourly) and `reconcile_ledger` (daily): run the application's maintenance
//! steps. Each step is idempotent; one failing step does not stop the others, and the job is
//! retried (all steps again) if any failed.

use chrono::Utc;

use super::{MaintenanceTask, Services};
use crate::error::JobError;
use crate::metrics;

async fn run_all(kind: &str, tasks: &[std::sync::Arc<dyn MaintenanceTask>]) -> Result<(), JobError> {
    let now = Utc::now();
    let mut first_error = None;
    for task in tasks {
        match task.run(now).await {
            Ok(rows) => {
                metrics::maintained(task.name(), rows);
                if rows > 0 {
                    tracing::info!(job = kind, task = task.name(), rows, "maintenance step changed rows");
                }
            }
            Err(error) => {
                tracing::warn!(job = kind, task = task.name(), error = %error, "maintenance step failed");
                first_error.get_or_insert(error);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[tracing::instrument(skip_all)]
pub async fn expire_lockouts(services: &Services) -> Result<(), JobError> {
    run_all("expire_lockouts", &services.lockouts).await
}

#[tracing::instrument(skip_all)]
pub async fn cleanup(services: &Services) -> Result<(), JobError> {
    run_all("cleanup", &services.cleanup).await
}

#[tracing::instrument(skip_all)]
pub async fn reconcile_ledger(services: &Services) -> Result<(), JobError> {
    run_all("reconcile_ledger", &services.reconcile).await
}
