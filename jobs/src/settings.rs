//! The worker's settings as plain data; the application fills them from its configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::failure::RetryPolicy;

/// Where the queue lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The application database (SQLite or PostgreSQL): enqueueing joins the caller's
    /// transaction.
    Database,
    /// Redis: shared by every process and machine; enqueueing happens after the commit and
    /// the sweeper covers a crash in between.
    Redis,
}

#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// Jobs of this queue run at once in one worker process.
    pub concurrency: usize,
    /// Jobs fetched per poll.
    pub batch_size: usize,
    pub retry: RetryPolicy,
}

#[derive(Clone, Debug)]
pub struct Schedule {
    pub queue: &'static str,
    /// Six-field cron expression (seconds first), UTC.
    pub cron: String,
}

#[derive(Clone, Debug)]
pub struct JobSettings {
    pub backend: Backend,
    /// Prefix of every Redis key, so several deployments can share one Redis.
    pub namespace: String,
    /// How often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// A worker proves it is alive this often...
    pub heartbeat_interval: Duration,
    /// ...and its running jobs are handed to another worker after this many missed beats.
    pub missed_heartbeats: usize,
    /// How long in-flight jobs get to finish on shutdown before they are abandoned (they run
    /// again elsewhere once the heartbeat times out).
    pub shutdown_timeout: Duration,
    /// How long Redis remembers an idempotency key (SQL storages keep the job row).
    pub idempotency_ttl: Duration,
    pub queues: BTreeMap<&'static str, QueueSettings>,
    pub schedules: Vec<Schedule>,
}

impl JobSettings {
    pub fn queue(&self, name: &str) -> Option<&QueueSettings> {
        self.queues.get(name)
    }
}
