//! The `[jobs]` section: where the queue lives, how workers poll, retry and shut down, and
//! the cron schedules. Checked at startup, so a typo in a queue name or a cron expression is a
//! one-line configuration error.

use std::collections::BTreeMap;

use serde::Deserialize;
use tresor_jobs::queues;

use super::ConfigError;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JobBackend {
    Database,
    Redis,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    pub backend: JobBackend,
    pub embedded: bool,
    pub namespace: String,
    pub poll_interval_ms: u64,
    pub heartbeat_secs: u64,
    pub missed_heartbeats: usize,
    pub shutdown_timeout_secs: u64,
    pub idempotency_ttl_hours: u64,
    pub sweep_grace_secs: u64,
    pub sweep_max_age_hours: u64,
    pub finished_retention_days: u64,
    pub sent_mail_retention_days: u64,
    pub queues: BTreeMap<String, QueueConfig>,
    pub schedules: SchedulesConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub concurrency: usize,
    pub batch_size: usize,
    pub max_attempts: usize,
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    pub jitter: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulesConfig {
    pub expire_lockouts: String,
    pub cleanup: String,
    pub sweep: String,
    pub reconcile_ledger: String,
}

impl SchedulesConfig {
    pub fn all(&self) -> [(&'static str, &str); 4] {
        [
            (queues::EXPIRE_LOCKOUTS, &self.expire_lockouts),
            (queues::CLEANUP, &self.cleanup),
            (queues::SWEEP, &self.sweep),
            (queues::RECONCILE_LEDGER, &self.reconcile_ledger),
        ]
    }
}

impl JobsSettings {
    /// Every queue named exists and has sane numbers; every schedule parses.
    pub fn validate(&self, redis_configured: bool) -> Result<(), ConfigError> {
        if self.backend == JobBackend::Redis && !redis_configured {
            return Err(ConfigError::new("jobs.backend = \"redis\" needs REDIS_URL"));
        }
        for (name, queue) in &self.queues {
            if !queues::ALL.contains(&name.as_str()) {
                return Err(ConfigError::new(format!(
                    "jobs.queues.{name} is not a queue (known: {})",
                    queues::ALL.join(", ")
                )));
            }
            if queue.concurrency == 0 || queue.batch_size == 0 || queue.max_attempts == 0 {
                return Err(ConfigError::new(format!(
                    "jobs.queues.{name}: concurrency, batch_size and max_attempts must be at least 1"
                )));
            }
            if !(0.0..=1.0).contains(&queue.jitter) {
                return Err(ConfigError::new(format!("jobs.queues.{name}.jitter must be between 0 and 1")));
            }
        }
        if let Some(missing) = queues::ALL.iter().find(|q| !self.queues.contains_key(**q)) {
            return Err(ConfigError::new(format!("jobs.queues.{missing} is missing")));
        }
        for (queue, cron) in self.schedules.all() {
            let schedule = tresor_jobs::settings::Schedule { queue, cron: cron.to_owned() };
            tresor_jobs::schedule::parse(&schedule)
                .map_err(|e| ConfigError::new(format!("jobs.schedules.{queue}: {e}")))?;
        }
        if self.heartbeat_secs == 0 || self.missed_heartbeats == 0 || self.poll_interval_ms == 0 {
            return Err(ConfigError::new(
                "jobs.heartbeat_secs, missed_heartbeats and poll_interval_ms must be at least 1",
            ));
        }
        Ok(())
    }
}
