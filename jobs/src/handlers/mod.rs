//! The job handlers and the small traits through which they reach the application.
//!
//! Every handler is idempotent: running it twice has the effect of running it once.

mod maintenance;
mod scan_document;
mod send_email;
mod sweep;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

pub use maintenance::{cleanup, expire_lockouts, reconcile_ledger};
pub use scan_document::scan_document;
pub use send_email::send_email;
pub use sweep::{MailSweeper, sweep};

use crate::email::{Email, Mailer};
use crate::error::JobError;
use crate::store::NewJob;

/// The mail outbox, as `send_email` and the sweeper need it.
pub trait Mailbox: Send + Sync + 'static {
    /// The message queued as `id`, opened; `Ok(None)` once it was sent. A missing row or one
    /// that does not open is a permanent error.
    fn pending(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Email>, JobError>>;
    /// Records that the mail server accepted these messages (and drops their sealed payloads),
    /// in one write; none: no write.
    fn mark_sent<'a>(&'a self, ids: &'a [Uuid]) -> BoxFuture<'a, Result<(), JobError>>;
    /// Unsent messages queued between `since` and `until`, oldest first.
    fn unsent(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Uuid>, JobError>>;
}

/// One table's share of periodic maintenance (a cleanup step, a lockout expiry), provided by
/// the application. `run` must be idempotent and return how many rows it changed.
pub trait MaintenanceTask: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn run(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>>;
}

/// Finds work whose row says it is still pending but whose job may have been lost (a crash
/// between the commit and the enqueue), and returns the jobs to enqueue again. Enqueueing is
/// keyed, so a job that does exist is not duplicated.
pub trait Sweeper: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn pending(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<NewJob>, JobError>>;
}

/// The document scanner, as `scan_document` needs it: scans one version and records its
/// verdict, answering that verdict (`"clean"`, `"rejected"`). Idempotent: a version scanned
/// before answers its recorded verdict. An unknown version is a permanent error.
pub trait DocumentScanner: Send + Sync + 'static {
    fn scan(&self, version_id: Uuid) -> BoxFuture<'_, Result<&'static str, JobError>>;
}

/// Everything the handlers use, assembled by the application.
#[derive(Clone)]
pub struct Services {
    pub mailbox: Arc<dyn Mailbox>,
    pub mailer: Mailer,
    /// Signs every message.
    pub app_name: String,
    /// Run every minute by `expire_lockouts`.
    pub lockouts: Vec<Arc<dyn MaintenanceTask>>,
    /// Run every hour by `cleanup`.
    pub cleanup: Vec<Arc<dyn MaintenanceTask>>,
    /// Run daily by `reconcile_ledger`: proves the books and tells staff when they do not.
    pub reconcile: Vec<Arc<dyn MaintenanceTask>>,
    /// Run every minute by `sweep`.
    pub sweepers: Vec<Arc<dyn Sweeper>>,
    /// Runs `scan_document`; `None` where no documents are kept (its jobs are retried).
    pub scanner: Option<Arc<dyn DocumentScanner>>,
}

/// How far back the mail sweeper looks, and how long it leaves a fresh message to its own job.
#[derive(Clone, Copy, Debug)]
pub struct SweepWindow {
    pub grace: Duration,
    pub max_age: Duration,
}
