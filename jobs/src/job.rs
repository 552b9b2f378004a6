//! Job types: what a job carries (plain, serializable data — never secrets or personal data;
//! those stay sealed in their own rows) and which queue runs it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The queues (one per job type). `tresor worker --queues` picks among these names.
pub mod queues {
    pub const SEND_EMAIL: &str = "send_email";
    pub const EXPIRE_LOCKOUTS: &str = "expire_lockouts";
    pub const CLEANUP: &str = "cleanup";
    pub const SWEEP: &str = "sweep";
    pub const RECONCILE_LEDGER: &str = "reconcile_ledger";
    pub const BUILD_EXPORT: &str = "build_export";
    pub const SCAN_DOCUMENT: &str = "scan_document";
    /// The tick that finds due scheduled transfers and enqueues their occurrences.
    pub const SCHEDULED_TICK: &str = "scheduled_tick";
    pub const SCHEDULED_TRANSFER: &str = "scheduled_transfer";
    /// The monthly tick that builds last month's account statements.
    pub const BUILD_STATEMENTS: &str = "build_statements";
    pub const ALL: [&str; 10] = [
        SEND_EMAIL,
        EXPIRE_LOCKOUTS,
        CLEANUP,
        SWEEP,
        RECONCILE_LEDGER,
        BUILD_EXPORT,
        SCAN_DOCUMENT,
        SCHEDULED_TICK,
        SCHEDULED_TRANSFER,
        BUILD_STATEMENTS,
    ];
}

/// A typed job: its payload and the queue that runs it.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    const QUEUE: &'static str;

    /// Jobs with the same key in one queue are the same job: enqueueing it again is a no-op.
    /// This is what makes the sweeper and several cron schedulers safe.
    fn idempotency_key(&self) -> Option<String> {
        None
    }

    /// A job id derived from the job itself (stable across enqueues), when there is one.
    fn stable_id(&self) -> Option<u128> {
        None
    }
}

/// Deliver one queued message of the mail outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendEmail {
    pub outbox_id: Uuid,
}

impl Job for SendEmail {
    const QUEUE: &'static str = queues::SEND_EMAIL;

    fn idempotency_key(&self) -> Option<String> {
        Some(self.outbox_id.to_string())
    }

    /// The job id is the outbox id (a UUID v7 is a valid ULID bit for bit), so the message, its
    /// job and its `Message-ID` share one identity.
    fn stable_id(&self) -> Option<u128> {
        Some(self.outbox_id.as_u128())
    }
}

/// Scan one uploaded document version and record its verdict (`clean` or `rejected`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDocument {
    pub version_id: Uuid,
}

impl Job for ScanDocument {
    const QUEUE: &'static str = queues::SCAN_DOCUMENT;

    /// One job per version: the upload's enqueue and the sweeper's meet at this key.
    fn idempotency_key(&self) -> Option<String> {
        Some(self.version_id.to_string())
    }

    fn stable_id(&self) -> Option<u128> {
        Some(self.version_id.as_u128())
    }
}

/// Build one requested export (a user's data, or the audit log for staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildExport {
    pub export_id: Uuid,
}

impl Job for BuildExport {
    const QUEUE: &'static str = queues::BUILD_EXPORT;

    fn idempotency_key(&self) -> Option<String> {
        Some(self.export_id.to_string())
    }

    fn stable_id(&self) -> Option<u128> {
        Some(self.export_id.as_u128())
    }
}

/// Run one occurrence of a scheduled transfer: the schedule and the day it is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunScheduledTransfer {
    pub schedule_id: Uuid,
    pub on: chrono::NaiveDate,
}

impl Job for RunScheduledTransfer {
    const QUEUE: &'static str = queues::SCHEDULED_TRANSFER;

    /// One job per occurrence, however many ticks (on however many instances) find it due.
    fn idempotency_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.schedule_id, self.on))
    }
}

/// The payload of a scheduled (cron) job: the tick it belongs to, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tick {
    pub at: i64,
}
