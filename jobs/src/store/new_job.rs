//! A job in storage-neutral form, before it is written to a queue.

use std::time::{SystemTime, UNIX_EPOCH};

use super::StoreError;
use crate::job::Job;

/// One job to put on a queue, in storage-neutral form.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub queue: &'static str,
    pub payload: serde_json::Value,
    pub key: Option<String>,
    /// The job id as a ULID; random when `None`.
    pub id: Option<u128>,
    /// Unix seconds; now when `None`.
    pub run_at: Option<i64>,
    pub max_attempts: usize,
}

impl NewJob {
    pub fn of<J: Job>(job: &J, max_attempts: usize) -> Result<Self, StoreError> {
        Ok(Self {
            queue: J::QUEUE,
            payload: serde_json::to_value(job).map_err(|e| StoreError::Payload(e.to_string()))?,
            key: job.idempotency_key(),
            id: job.stable_id(),
            run_at: None,
            max_attempts,
        })
    }

    pub(super) fn ulid(&self) -> String {
        self.id.map_or_else(fresh_ulid, ulid::Ulid::from).to_string()
    }

    pub(super) fn run_at(&self) -> i64 {
        self.run_at.unwrap_or_else(now)
    }
}

/// A new ULID: now in milliseconds, 80 random bits.
pub(crate) fn fresh_ulid() -> ulid::Ulid {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    ulid::Ulid::from_parts(millis, rand::random::<u128>())
}

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
