//! The cleanup steps for the tables this build has: sent mail and finished jobs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tresor_jobs::JobError;
use tresor_jobs::handlers::MaintenanceTask;

use crate::db::{Db, Dialect, time};

fn cutoff(now: DateTime<Utc>, keep: Duration) -> Result<DateTime<Utc>, JobError> {
    Ok(now - chrono::Duration::from_std(keep).map_err(JobError::permanent)?)
}

/// Deletes outbox rows sent longer ago than `keep` (their payload is already gone).
pub struct SentMailRetention {
    pub db: Db,
    pub keep: Duration,
}

impl MaintenanceTask for SentMailRetention {
    fn name(&self) -> &'static str {
        "email_outbox_sent"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move {
            let before = time::to_db(cutoff(now, self.keep)?);
            let done = sqlx::query("DELETE FROM email_outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
                .bind(before)
                .execute(self.db.writer())
                .await?;
            // Belt and braces: a sent row never keeps its sealed payload.
            let purged =
                sqlx::query("UPDATE email_outbox SET payload = NULL WHERE sent_at IS NOT NULL AND payload IS NOT NULL")
                    .execute(self.db.writer())
                    .await?;
            Ok(done.rows_affected() + purged.rows_affected())
        })
    }
}

/// Deletes jobs that finished successfully longer ago than `keep` from the queue (database or
/// Redis).
/// Dead jobs stay: staff read them, and their row keeps the sweeper from resurrecting them.
pub struct FinishedJobRetention {
    pub store: tresor_jobs::Store,
    pub keep: Duration,
}

impl MaintenanceTask for FinishedJobRetention {
    fn name(&self) -> &'static str {
        "jobs_finished"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move {
            let before = cutoff(now, self.keep)?.timestamp();
            self.store.prune_finished(before).await.map_err(JobError::retryable)
        })
    }
}

/// Keeps SQLite's query-planner statistics current (`ANALYZE`): without them the job
/// queue's lock statement walks every waiting job. A no-op on PostgreSQL (autovacuum analyzes).
pub struct PlannerStatistics {
    pub db: Db,
}

impl MaintenanceTask for PlannerStatistics {
    fn name(&self) -> &'static str {
        "sqlite_statistics"
    }

    fn run(&self, _now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move {
            if self.db.dialect() == Dialect::Sqlite {
                sqlx::query("ANALYZE").execute(self.db.writer()).await?;
            }
            Ok(0)
        })
    }
}

/// Deletes the ledger's idempotency records older than 24 hours: past that, a repeated key is
/// a new request (docs/api.md).
pub struct IdempotencyKeyRetention {
    pub db: Db,
}

impl MaintenanceTask for IdempotencyKeyRetention {
    fn name(&self) -> &'static str {
        "idempotency_keys"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(async move {
            let before = time::to_db(cutoff(now, Duration::from_secs(24 * 3600))?);
            let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
            Ok(sqlx::query(sql).bind(before).execute(self.db.writer()).await?.rows_affected())
        })
    }
}

/// Releases the open holds whose time is up (`[holds] expiry_days` after their authorization),
/// through the ledger's fenced committing path: run every minute with the lockouts' expiry.
pub struct HoldExpiry {
    pub store: crate::ledger::commit::LedgerStore,
}

impl MaintenanceTask for HoldExpiry {
    fn name(&self) -> &'static str {
        "holds_expired"
    }

    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        Box::pin(
            async move { crate::ledger::expiry::expire_holds(&self.store, now).await.map_err(JobError::retryable) },
        )
    }
}
