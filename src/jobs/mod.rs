//! The application's side of the background jobs: the queue store built from configuration,
//! the handlers' view of the application (outbox, maintenance steps), the embedded workers of
//! `tresor serve` and the `tresor worker` command.

pub mod embedded;
pub mod lockouts;
mod maintenance;
mod outbox;
mod reconcile;
mod scanner;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tresor_jobs::email::{Mailer, MailerSettings};
use tresor_jobs::failure::RetryPolicy;
use tresor_jobs::handlers::{MailSweeper, Services, SweepWindow};
use tresor_jobs::settings::{Backend, JobSettings, QueueSettings, Schedule};
use tresor_jobs::store::SqlDatabase;
use tresor_jobs::worker::{Plan, Registry};
use tresor_jobs::{BuildExport, Store, queues};

pub use maintenance::{FinishedJobRetention, IdempotencyKeyRetention, PlannerStatistics, SentMailRetention};
pub use outbox::Outbox;
pub use reconcile::LedgerReconciliation;
pub use scanner::{ScanSweeper, Scanner};

use crate::config::{Config, JobBackend};
use crate::db::Db;
use crate::exports::{ExpiredExports, ExportSweeper};
use crate::state::AppState;

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
    let schedules =
        jobs.schedules.all().into_iter().map(|(queue, cron)| Schedule { queue, cron: cron.to_owned() }).collect();
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
            Store::redis(url.expose_secret(), settings).context("REDIS_URL is invalid")
        }
    }
}

/// What the handlers reach the application through.
pub fn services(state: &AppState) -> anyhow::Result<Services> {
    let config = &state.config;
    let mail = &config.settings.mail;
    let smtp_url = Some(mail.smtp_url.expose_secret().trim().to_owned()).filter(|u| !u.is_empty());
    let mailer = Mailer::new(&MailerSettings {
        smtp_url,
        smtp_ca_file: Some(mail.smtp_ca_file.trim()).filter(|f| !f.is_empty()).map(Into::into),
        from: mail.from.clone(),
        mail_dir: config.data_dir.join("mail"),
        timeout: Duration::from_secs(mail.smtp_timeout_secs),
    })?;
    let jobs = &config.settings.jobs;
    let outbox = Arc::new(Outbox::new(state.db.clone(), state.keys.clone()));
    let window = SweepWindow {
        grace: Duration::from_secs(jobs.sweep_grace_secs),
        max_age: Duration::from_secs(jobs.sweep_max_age_hours.saturating_mul(3600)),
    };
    let max_attempts = |queue| state.jobs.settings().queue(queue).map_or(1, |q| q.retry.max_attempts);
    let sweeper = MailSweeper { mailbox: outbox.clone(), window, max_attempts: max_attempts(queues::SEND_EMAIL) };
    let exports = ExportSweeper { db: state.db.clone(), window, max_attempts: max_attempts(queues::BUILD_EXPORT) };
    let scan_sweeper = ScanSweeper {
        documents: state.documents.clone(),
        grace: window.grace,
        max_attempts: max_attempts(queues::SCAN_DOCUMENT),
    };
    let days = |n: u64| Duration::from_secs(n.saturating_mul(86_400));
    Ok(Services {
        mailbox: outbox,
        mailer,
        app_name: "tresor".into(),
        lockouts: lockouts::tasks(&state.db),
        cleanup: vec![
            Arc::new(SentMailRetention { db: state.db.clone(), keep: days(jobs.sent_mail_retention_days) }),
            Arc::new(FinishedJobRetention { store: state.jobs.clone(), keep: days(jobs.finished_retention_days) }),
            Arc::new(IdempotencyKeyRetention { db: state.db.clone() }),
            Arc::new(ExpiredExports { db: state.db.clone() }),
            Arc::new(PlannerStatistics { db: state.db.clone() }),
            Arc::new(lockouts::IdentityCleanup {
                db: state.db.clone(),
                retention: i64::try_from(config.settings.identity.retention_days)
                    .ok()
                    .and_then(chrono::Duration::try_days)
                    .unwrap_or(chrono::Duration::MAX),
            }),
        ],
        reconcile: vec![Arc::new(LedgerReconciliation { db: state.db.clone() })],
        sweepers: vec![Arc::new(sweeper), Arc::new(exports), Arc::new(scan_sweeper)],
        scanner: Some(Arc::new(Scanner { documents: state.documents.clone() })),
    })
}

/// The standard handlers wired to this application, and the application's own jobs.
pub fn registry(state: &AppState) -> anyhow::Result<Registry> {
    let exporter = state.exports.clone();
    let max_attempts = state.jobs.settings().queue(queues::BUILD_EXPORT).map_or(1, |q| q.retry.max_attempts);
    Ok(Registry::standard(services(state)?, state.jobs.clone()).typed(move |job: BuildExport, attempt| {
        let exporter = exporter.clone();
        async move { exporter.attempt(job.export_id, attempt, max_attempts).await }
    }))
}

/// Runs the workers of `plan` until `stop` resolves.
pub async fn run(state: &AppState, plan: Plan, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let registry = registry(state)?;
    tresor_jobs::worker::run(state.jobs.clone(), registry, plan, stop).await?;
    Ok(())
}
