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

/// Deliver queued messages of the mail outbox: `outbox_id`, then each of `more`.
///
/// The mails one committed ledger batch queued travel as one job, so the queue is written once
/// for the batch instead of once per message (on SQLite every queue write waits for the one
/// write lock the ledger commits under). A job of one message serializes as it always did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendEmail {
    pub outbox_id: Uuid,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<Uuid>,
}

impl SendEmail {
    /// At most this many messages ride in one job.
    pub const MAX_MESSAGES: usize = 64;

    pub fn one(outbox_id: Uuid) -> Self {
        Self { outbox_id, more: Vec::new() }
    }

    /// `ids` as jobs of at most [`Self::MAX_MESSAGES`] messages each, in order.
    pub fn batches(ids: &[Uuid]) -> Vec<Self> {
        ids.chunks(Self::MAX_MESSAGES)
            .filter_map(|chunk| chunk.split_first())
            .map(|(first, more)| Self { outbox_id: *first, more: more.to_vec() })
            .collect()
    }

    /// Every message of the job, the first one first.
    pub fn messages(&self) -> impl Iterator<Item = Uuid> + '_ {
        std::iter::once(self.outbox_id).chain(self.more.iter().copied())
    }
}

impl Job for SendEmail {
    const QUEUE: &'static str = queues::SEND_EMAIL;

    fn idempotency_key(&self) -> Option<String> {
        Some(self.outbox_id.to_string())
    }

    /// The job id is the (first) message's outbox id (a UUID v7 is a valid ULID bit for bit), so
    /// a message, its job and its `Message-ID` share one identity.
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

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::SendEmail;

    #[test]
    fn a_job_of_one_message_keeps_its_old_payload() {
        let id = Uuid::now_v7();
        let json = serde_json::to_value(SendEmail::one(id)).unwrap();
        assert_eq!(json, serde_json::json!({ "outbox_id": id }));
        let parsed: SendEmail = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.messages().collect::<Vec<_>>(), vec![id]);
    }

    #[test]
    fn a_batch_of_messages_is_split_into_jobs_of_at_most_the_maximum() {
        let ids: Vec<Uuid> = (0..SendEmail::MAX_MESSAGES * 2 + 1).map(|_| Uuid::now_v7()).collect();
        let jobs = SendEmail::batches(&ids);
        assert_eq!(jobs.iter().map(|job| job.messages().count()).collect::<Vec<_>>(), vec![64, 64, 1]);
        assert_eq!(jobs.iter().flat_map(SendEmail::messages).collect::<Vec<_>>(), ids);
        assert!(SendEmail::batches(&[]).is_empty());
        let json = serde_json::to_value(&jobs[0]).unwrap();
        assert_eq!(serde_json::from_value::<SendEmail>(json).unwrap(), jobs[0]);
    }
}
