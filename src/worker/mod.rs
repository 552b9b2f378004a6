//! The application's side of the background jobs: the handlers' view of the application
//! (outbox, maintenance steps, scanner, exports), the workers embedded in `tresor serve` and the
//! `tresor worker` command. The queue itself is `crate::queue`; the job types, the worker loop
//! and the standard handlers are the `tresor-jobs` crate.

pub mod embedded;
pub mod lockouts;
mod maintenance;
mod outbox;
mod reconcile;
pub mod relay;
mod scanner;

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tresor_jobs::email::{Mailer, MailerSettings};
use tresor_jobs::handlers::{MailSweeper, Services, SweepWindow};
use tresor_jobs::worker::{Plan, Registry};
use tresor_jobs::{BuildExport, JobError, RunScheduledTransfer, Store, queues};

pub use maintenance::{
    FinishedJobRetention, HoldExpiry, IdempotencyKeyRetention, PlannerStatistics, SentMailRetention,
};
pub use outbox::Outbox;
pub use reconcile::LedgerReconciliation;
pub use scanner::{ScanSweeper, Scanner};

use crate::config::{Config, LedgerSettings};
use crate::crypto::Keys;
use crate::db::Db;
use crate::documents::Documents;
use crate::exports::{ExpiredExports, ExportSweeper, Exports};
use crate::state::AppState;

/// What the job handlers need of the application, and nothing more: `tresor worker` builds
/// only this (no account actors, no sign-in machinery); `tresor serve` takes it from its state.
#[derive(Clone)]
pub struct Handlers {
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub jobs: Store,
    pub documents: Documents,
    pub exports: Arc<Exports>,
    /// Redis, when configured (the relay appends events to its stream).
    pub redis: Option<crate::redis::RedisHandle>,
    /// The live feed the relay wakes (the server's, or one nobody reads in `tresor worker`).
    pub feed: crate::events::Feed,
    /// Where the jobs' changes to balances are announced to cached reads.
    pub reads: Arc<crate::read_cache::Changes>,
}

impl Handlers {
    /// The parts a running server already holds.
    pub fn of(state: &AppState) -> Self {
        Self {
            config: state.config.clone(),
            db: state.db.clone(),
            keys: state.keys.clone(),
            jobs: state.jobs.clone(),
            documents: state.documents.clone(),
            exports: state.exports.clone(),
            redis: state.redis.clone(),
            feed: state.feed.clone(),
            reads: state.reads.clone(),
        }
    }

    /// Loads the keys, connects to the database, brings its schema up to date and builds the
    /// capabilities the handlers call.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = Arc::new(Keys::load(&config.keys_dir, !config.env.is_production())?);
        let db = crate::state::connect(&config).await?;
        crate::db::migrate(&db, crate::state::sqlite_file(&config)).await?;
        let jobs = crate::queue::store(&config, &db)?;
        let documents = Documents::open(&config, db.clone(), keys.clone(), jobs.clone())?;
        let exports = Arc::new(crate::state::exports(&config, &db, &keys, &jobs));
        let redis = crate::redis::RedisHandle::of(&config)?;
        let feed = crate::events::Feed::new(db.clone(), 0, Duration::from_secs(1), Duration::from_secs(15));
        let reads = Arc::new(crate::read_cache::Changes::configured(&config, redis.clone()));
        Ok(Self { config: Arc::new(config), db, keys, jobs, documents, exports, redis, feed, reads })
    }
}

/// What the handlers reach the application through.
pub fn services(state: &Handlers) -> anyhow::Result<Services> {
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
        lockouts: {
            let mut tasks = lockouts::tasks(&state.db);
            let ledger = crate::ledger::commit::LedgerStore::new(
                state.db.clone(),
                config.settings.ledger.clone(),
                state.keys.clone(),
                state.reads.clone(),
            );
            tasks.push(Arc::new(HoldExpiry { store: ledger }));
            tasks
        },
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
pub fn registry(state: &Handlers) -> anyhow::Result<Registry> {
    let exporter = state.exports.clone();
    let max_attempts = state.jobs.settings().queue(queues::BUILD_EXPORT).map_or(1, |q| q.retry.max_attempts);
    let runner = Arc::new(crate::scheduled::Runner::new(
        state.db.clone(),
        state.keys.clone(),
        state.jobs.clone(),
        state.reads.clone(),
        LedgerSettings { outbox: state.config.settings.events.outbox, ..state.config.settings.ledger.clone() },
    ));
    let ticks = runner.clone();
    let statements = Arc::new(crate::state::statements(&state.config, &state.db, &state.keys, &state.jobs));
    Ok(Registry::standard(services(state)?, state.jobs.clone())
        .typed(move |job: BuildExport, attempt| {
            let exporter = exporter.clone();
            async move { exporter.attempt(job.export_id, attempt, max_attempts).await }
        })
        .typed(move |job: RunScheduledTransfer, _| {
            let runner = runner.clone();
            async move { runner.run(job).await.map_err(|e| JobError::retryable(format!("{e:#}"))) }
        })
        .with(
            queues::SCHEDULED_TICK,
            tresor_jobs::worker::tick_handler(move || {
                let runner = ticks.clone();
                async move {
                    let today = crate::db::time::now().date_naive();
                    runner.tick(today).await.map(|_| ()).map_err(|e| JobError::retryable(format!("{e:#}")))
                }
            }),
        )
        .with(
            queues::BUILD_STATEMENTS,
            tresor_jobs::worker::tick_handler(move || {
                let statements = statements.clone();
                async move {
                    let now = crate::db::time::now();
                    let period = crate::statements::model::Period::of(now).previous();
                    let built = statements.build(period, None, now).await;
                    built.map(|_| ()).map_err(|e| JobError::retryable(format!("{e:#}")))
                }
            }),
        ))
}

/// Runs the workers of `plan`, the event relay and the webhook deliverer until `stop` resolves.
pub async fn run(state: &Handlers, plan: Plan, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let registry = registry(state)?;
    let outflow = relay::Outflow::of(state)?;
    let (tell, told) = tokio::sync::watch::channel(false);
    let stop = async move {
        stop.await;
        let _ = tell.send(true);
    };
    let outflow_stop = async move {
        let mut told = told;
        let _ = told.wait_for(|stop| *stop).await;
    };
    let (jobs, ()) =
        tokio::join!(tresor_jobs::worker::run(state.jobs.clone(), registry, plan, stop), outflow.run(outflow_stop));
    jobs?;
    Ok(())
}
