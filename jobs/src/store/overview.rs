//! What staff see of the queues (`GET /v1/admin/jobs`).

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub queue: String,
    /// Due now or later, including jobs waiting for a retry.
    pub waiting: u64,
    pub running: u64,
    pub dead: u64,
}

impl QueueDepth {
    pub(super) fn empty(queue: &str) -> Self {
        Self { queue: queue.to_owned(), waiting: 0, running: 0, dead: 0 }
    }
}

/// A job whose last run failed: `dead` ones will not run again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadJob {
    pub id: String,
    pub queue: String,
    pub attempts: u64,
    pub dead: bool,
    /// The last error, as the job reported it.
    pub error: Option<String>,
    /// Unix seconds of the last attempt's end.
    pub finished_at: Option<i64>,
}

impl DeadJob {
    /// apalis stores a run's outcome as JSON `{"Err": "..."}` (or `{"Ok": ...}`).
    pub(super) fn error_of(last_result: Option<&str>) -> Option<String> {
        let raw = last_result?;
        match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Object(map)) => map.get("Err").map(|e| match e {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => Some(raw.to_owned()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub queues: Vec<QueueDepth>,
    /// Most recent first: failed jobs (dead or given back for a later run).
    pub recent_failures: Vec<DeadJob>,
    /// The dead ones among them.
    pub dead: Vec<DeadJob>,
}

impl Overview {
    pub(super) fn new(queues: Vec<QueueDepth>, recent_failures: Vec<DeadJob>) -> Self {
        let dead = recent_failures.iter().filter(|j| j.dead).cloned().collect();
        Self { queues, recent_failures, dead }
    }
}
