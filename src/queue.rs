//! The job queue as configured (`[jobs]`): the application database (the same pools, so an
//! enqueue joins the caller's transaction) or Redis.

use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tresor_jobs::failure::RetryPolicy;
use tresor_jobs::settings::{Backend, JobSettings, QueueSettings, Schedule};
use tresor_jobs::store::SqlDatabase;
use tresor_jobs::{Store, queues};

use crate::config::{Config, JobBackend};
use crate::db::Db;

/// The worker settings, from `[jobs]`.
pub fn settings(config: &Config) -> JobSettings {
    let jobs = &config.settings.jobs;
    let queues = jobs
        .queues
        .iter()
        .filter_map(|(name, q)| {
            let name = queues::ALL.iter().copied().find(|known| known == name)?;
            let retry = RetryPolicy {
                max_attempts: q.max_attempts,
                base: Duration::from_millis(q.backoff_base_ms),
                max: Duration::from_secs(q.backoff_max_secs),
                jitter: q.jitter,
            };
            Some((name, QueueSettings { concurrency: q.concurrency, batch_size: q.batch_size, retry }))
        })
        .collect();
    let mut schedules: Vec<Schedule> =
        jobs.schedules.all().into_iter().map(|(queue, cron)| Schedule { queue, cron: cron.to_owned() }).collect();
    schedules.push(Schedule { queue: queues::SCHEDULED_TICK, cron: config.settings.scheduled.cron() });
    schedules.push(Schedule { queue: queues::BUILD_STATEMENTS, cron: config.settings.statements.cron() });
    JobSettings {
        backend: match jobs.backend {
            JobBackend::Database => Backend::Database,
            JobBackend::Redis => Backend::Redis,
        },
        namespace: jobs.namespace.clone(),
        poll_interval: Duration::from_millis(jobs.poll_interval_ms),
        heartbeat_interval: Duration::from_secs(jobs.heartbeat_secs),
        missed_heartbeats: jobs.missed_heartbeats,
        shutdown_timeout: Duration::from_secs(jobs.shutdown_timeout_secs),
        idempotency_ttl: Duration::from_secs(jobs.idempotency_ttl_hours.saturating_mul(3600)),
        queues,
        schedules,
    }
}

/// The queue store: the application database or Redis, as configured.
pub fn store(config: &Config, db: &Db) -> anyhow::Result<Store> {
    let settings = settings(config);
    match settings.backend {
        Backend::Database => {
            let sql = SqlDatabase::new(config.database_url.expose_secret(), db.writer().clone(), db.reader().clone());
            Ok(Store::sql(sql, settings))
        }
        Backend::Redis => {
            let url = config.redis_url.as_ref().context("jobs.backend = \"redis\" needs REDIS_URL")?;
            crate::tls::install_crypto_provider();
            Store::redis_with_root(url.expose_secret(), config.redis_ca.clone(), settings)
                .context("REDIS_URL is invalid")
        }
    }
}
