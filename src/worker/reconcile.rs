//! The daily `reconcile_ledger` step: proves the books from the rows alone, as
//! `tresor ledger verify` does. Books that do not balance are not a reason to retry: the step
//! records the first discrepancy as a staff notification, logs it and sets the
//! `ledger_reconciled` gauge to 0, and succeeds. A database error is retried.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tresor_jobs::JobError;
use tresor_jobs::handlers::MaintenanceTask;

use crate::db::Db;
use crate::ledger::verify;
use crate::notifications;

pub struct LedgerReconciliation {
    pub db: Db,
}

impl LedgerReconciliation {
    /// Returns how many notifications it wrote (0 when the books are right).
    pub async fn reconcile(&self) -> Result<u64, sqlx::Error> {
        let report = verify::verify(&self.db).await?;
        metrics::gauge!("ledger_reconciled").set(if report.ok { 1.0 } else { 0.0 });
        let Some(problem) = report.problem else {
            tracing::info!(entries = report.entries, accounts = report.accounts, "ledger reconciled");
            return Ok(0);
        };
        tracing::error!(entries = report.entries, accounts = report.accounts, %problem, "ledger does not reconcile");
        let mut tx = self.db.begin().await?;
        let message = format!("Ledger reconciliation failed: {problem}. Run `tresor ledger verify`.");
        notifications::notify(&mut tx, notifications::LEDGER_DISCREPANCY, "ledger", "books", &message).await?;
        tx.commit().await?;
        Ok(1)
    }
}

impl MaintenanceTask for LedgerReconciliation {
    fn name(&self) -> &'static str {
        "ledger"
    }

    fn run(&self, _now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move { Ok(self.reconcile().await?) })
    }
}
