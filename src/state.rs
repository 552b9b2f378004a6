//! What handlers and jobs are given: passed explicitly as `web::Data<AppState>`, never global.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::approvals::Approvals;
use crate::audit::Audit;
use crate::authz::Authz;
use crate::cases::Cases;
use crate::config::{Config, LedgerSettings, sqlite_path};
use crate::crypto::Keys;
use crate::db::{self, Db, PoolSettings};
use crate::documents::Documents;
use crate::events::Feed;
use crate::exports::Exports;
use crate::federation::Federation;
use crate::identity::{Identity, Sessions};
use crate::kyc::Kyc;
use crate::ledger::service::Ledger;
use crate::mfa::{Collaborators, Mfa};
use crate::notifications::Notifications;
use crate::passkeys::Passkeys;
use crate::ratelimit::{RateLimiter, RateLimits};
use crate::read_cache::Changes;
use crate::redis::RedisHandle;
use crate::staff::{Records, Staff};
use crate::webhooks::Webhooks;

pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub redis: Option<RedisHandle>,
    pub metrics: PrometheusHandle,
    /// The job queue (`[jobs] backend`): enqueue with `jobs.enqueue_in(&mut tx, &job)`.
    pub jobs: tresor_jobs::Store,
    pub ledger: Arc<Ledger>,
    /// The step-up rule (`[mfa] step_up_minutes`), for the `StepUp` guard and the ledger.
    pub step_up: Arc<crate::authz::StepUpRule>,
    /// Users: registration, recovery, profile (`crate::identity::users`).
    pub identity: Arc<Identity>,
    /// Sign-in, sessions and tokens (`crate::identity::sessions`).
    pub sessions: Arc<Sessions>,
    pub rate_limits: Arc<RateLimits>,
    pub documents: Documents,
    pub kyc: Arc<Kyc>,
    pub exports: Arc<Exports>,
    /// Roles, grants and MFA enrolment per user, and the permission rule (`crate::authz`).
    pub authz: Arc<Authz>,
    pub mfa: Arc<Mfa>,
    /// Passkeys: registration, passwordless sign-in, step-up (`crate::passkeys`).
    pub passkeys: Arc<Passkeys>,
    pub staff: Arc<Staff>,
    /// Reading, checking and linking the audit chain (entries are written in each change's
    /// transaction with `audit::record`).
    pub audit: Audit,
    /// The notifications staff read (written in each event's transaction with `notifications::notify`).
    pub notifications: Notifications,
    /// Four-eyes requests: reversals and MFA resets (`crate::approvals`).
    pub approvals: Arc<Approvals>,
    /// Flagged transfers and other alerts staff work (`crate::cases`).
    pub cases: Arc<Cases>,
    /// Sign-in with OpenID Connect providers and linked identities (`crate::federation`).
    pub federation: Arc<Federation>,
    /// The live feed of each user's events (`GET /v1/events`), woken by this process's relay.
    pub feed: Feed,
    /// Webhook endpoints and their deliveries (`crate::webhooks`).
    pub webhooks: Arc<Webhooks>,
    /// Virtual debit cards and the card network's endpoints (`crate::cards`).
    pub cards: Arc<crate::cards::Cards>,
    /// Customers' scheduled and recurring transfers (`crate::scheduled`); the job queue runs them.
    pub scheduled: Arc<crate::scheduled::ScheduledTransfers>,
    /// Monthly account statements and their download links (`crate::statements`).
    pub statements: Arc<crate::statements::Statements>,
    /// Where changes are announced to cached reads (`crate::read_cache`).
    pub reads: Arc<Changes>,
}

impl AppState {
    /// Loads the keys, connects to the database and brings its schema up to date.
    pub async fn init(config: Config) -> anyhow::Result<Self> {
        let keys = Keys::load(&config.keys_dir, !config.env.is_production())?;
        let db = connect(&config).await?;
        db::migrate(&db, sqlite_file(&config)).await?;
        let redis = RedisHandle::of(&config).context("REDIS_URL is invalid")?;
        let jobs = crate::queue::store(&config, &db)?;
        let keys = Arc::new(keys);
        let step_up = Arc::new(crate::authz::StepUpRule::new(db.clone(), config.settings.mfa.step_up_minutes));
        let ledger_settings =
            LedgerSettings { outbox: config.settings.events.outbox, ..config.settings.ledger.clone() };
        let mail_queue = Some(jobs.clone());
        let reads = Arc::new(Changes::configured(&config, redis.clone()));
        let ledger = Arc::new(Ledger::start_mailing(
            db.clone(),
            ledger_settings,
            keys.clone(),
            step_up.clone(),
            reads.clone(),
            mail_queue,
        ));
        let (sessions, identity) = crate::identity::build(&config, &db, &keys, &jobs, redis.clone(), reads.clone())?;
        let limiter = RateLimiter::new(&config.settings.rate_limits, &config.settings.redis.prefix);
        let rate_limits = Arc::new(RateLimits::new(limiter, redis.clone(), db.clone(), keys.clone()));
        let documents = Documents::open(&config, db.clone(), keys.clone(), jobs.clone())?;
        let audit = Audit::new(db.clone());
        let notifications = Notifications::new(db.clone());
        let exports = Arc::new(exports(&config, &db, &keys, &jobs));
        let kyc = Arc::new(Kyc::new(db.clone(), keys.clone(), jobs.clone(), documents.clone(), identity.clone()));
        let authz = Arc::new(Authz::new(
            db.clone(),
            redis.clone(),
            Duration::from_millis(config.settings.authz.cache_millis),
            &config.settings.redis.prefix,
            reads.clone(),
        ));
        let passkeys = Arc::new(Passkeys::new(
            &config,
            db.clone(),
            keys.clone(),
            jobs.clone(),
            authz.clone(),
            identity.clone(),
            sessions.clone(),
        )?);
        let mfa = Arc::new(Mfa::new(
            db.clone(),
            keys.clone(),
            jobs.clone(),
            authz.clone(),
            &config.settings.mfa,
            Collaborators { identity: identity.clone(), sessions: sessions.clone(), passkeys: passkeys.clone() },
        ));
        let approvals =
            Arc::new(Approvals::new(db.clone(), ledger.clone(), mfa.clone(), config.settings.approvals.clone()));
        let cases = Arc::new(Cases::new(db.clone(), ledger.clone(), approvals.clone(), authz.clone()));
        let records = Records { audit: audit.clone(), notifications: notifications.clone() };
        let staff =
            Arc::new(Staff::new(db.clone(), jobs.clone(), authz.clone(), identity.clone(), sessions.clone(), records));
        let federation = Arc::new(Federation::new(&config, db.clone(), keys.clone(), sessions.clone())?);
        let events = &config.settings.events;
        let feed = Feed::new(
            db.clone(),
            events.max_streams_per_user,
            Duration::from_millis(events.feed_poll_ms.max(50)),
            Duration::from_secs(events.heartbeat_secs.max(1)),
        );
        let webhooks = Arc::new(Webhooks::new(
            db.clone(),
            keys.clone(),
            config.settings.webhooks.clone(),
            config.env.is_production(),
        ));
        let cards = Arc::new(crate::cards::Cards::new(
            db.clone(),
            keys.clone(),
            ledger.clone(),
            config.settings.cards.clone(),
            config.settings.holds.clone(),
            jobs.clone(),
        ));
        let scheduled = Arc::new(crate::scheduled::ScheduledTransfers::new(db.clone(), ledger.clone()));
        let statements = Arc::new(statements(&config, &db, &keys, &jobs));
        Ok(Self {
            config: Arc::new(config),
            db,
            keys,
            redis,
            metrics: crate::telemetry::metrics_recorder(),
            jobs,
            ledger,
            step_up,
            identity,
            sessions,
            rate_limits,
            documents,
            kyc,
            exports,
            authz,
            mfa,
            passkeys,
            staff,
            audit,
            notifications,
            approvals,
            cases,
            federation,
            feed,
            webhooks,
            cards,
            scheduled,
            statements,
            reads,
        })
    }

    /// Takes in key-ring changes made on disk (`tresor keys generate|rotate`).
    pub fn reload_keys(&self) -> anyhow::Result<()> {
        self.sessions.reload_keys()
    }

    /// The back office's queue levels for `/metrics` (a level that cannot be read is left out
    /// and logged: scraping never fails for it).
    pub async fn queue_levels(&self) -> crate::business_metrics::QueueLevels {
        let mut levels = crate::business_metrics::QueueLevels::default();
        match self.cases.open_count().await {
            Ok(open) => levels.cases_open = open,
            Err(error) => tracing::warn!(error = %error, "metrics: open cases unreadable"),
        }
        match self.approvals.pending().await {
            Ok(pending) => levels.approvals_pending = pending,
            Err(error) => tracing::warn!(error = %error, "metrics: pending approvals unreadable"),
        }
        match self.kyc.queue_level().await {
            Ok((waiting, age)) => (levels.kyc_queue, levels.kyc_oldest_age_secs) = (waiting, age),
            Err(error) => tracing::warn!(error = %error, "metrics: KYC queue unreadable"),
        }
        levels
    }

    /// `None` when Redis is not configured.
    pub async fn redis_ping(&self) -> Option<redis::RedisResult<()>> {
        match &self.redis {
            Some(redis) => Some(redis.ping().await),
            None => None,
        }
    }
}

/// The statements capability (the server's, the worker's and the CLI's).
pub fn statements(
    config: &Config,
    db: &Db,
    keys: &Arc<Keys>,
    jobs: &tresor_jobs::Store,
) -> crate::statements::Statements {
    crate::statements::Statements::new(db.clone(), keys.clone(), jobs.clone(), config.public_url.clone())
}

/// The exports capability (the server's and the worker's).
pub fn exports(config: &Config, db: &Db, keys: &Arc<Keys>, jobs: &tresor_jobs::Store) -> Exports {
    let (settings, public_url) = (config.settings.exports.clone(), config.public_url.clone());
    Exports::new(db.clone(), keys.clone(), jobs.clone(), settings, public_url, Audit::new(db.clone()))
}

pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    crate::tls::install_crypto_provider();
    let settings = PoolSettings {
        max_connections: config.settings.database.max_connections,
        acquire_timeout: Duration::from_secs(config.settings.database.acquire_timeout_secs),
        statement_timeout: Duration::from_millis(config.settings.database.statement_timeout_ms),
    };
    Db::connect(&config.database_url, &settings).await.context("connecting to the database")
}

pub fn sqlite_file(config: &Config) -> Option<std::path::PathBuf> {
    use secrecy::ExposeSecret;
    sqlite_path(config.database_url.expose_secret()).map(std::path::Path::to_path_buf)
}
