//! The worker: one apalis worker per queue, all under one `Monitor`, plus the cron schedules
//! and a sampler of queue depth. A future, like everything in apalis: the application runs it
//! on its own actix `Arbiter` (embedded in `serve`) or as the whole of `tresor worker`.
//!
//! Any number of worker processes may run against one database or Redis: a job is claimed by
//! exactly one worker (row lock / Redis list pop), every worker has a unique name, and a
//! worker's jobs go back to the queue only after its heartbeat stops.

mod pools;
mod registry;
mod run;
mod sqlite_turns;
mod wake;

use std::collections::HashMap;
use std::sync::Arc;

use apalis_core::backend::ext::BackendExt;
use apalis_core::error::BoxDynError;
use apalis_core::monitor::Monitor;
use apalis_core::task::attempt::Attempt;
use apalis_core::worker::builder::WorkerBuilder;
use serde_json::Value;
use tokio::sync::Notify;
use tower::limit::ConcurrencyLimitLayer;

pub use registry::{HandlerFn, Registry, tick_handler};
pub use run::run;

use crate::failure::FailureLayer;
use crate::settings::QueueSettings;
use crate::store::{SqlDialect, Store};
use crate::{schedule, store};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("unknown queue {0:?} (known: {1})")]
    UnknownQueue(String, String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Schedule(#[from] schedule::ScheduleError),
    #[error("workers stopped with an error: {0}")]
    Monitor(String),
}

/// What to run in this process.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Queues to work; empty = every queue the registry knows.
    pub queues: Vec<String>,
    /// Whether this process also fires the cron schedules (every worker may: ticks dedupe).
    pub schedules: bool,
}

/// Checks `--queues` names against the registry and returns them in a stable order.
pub fn select_queues(registry: &Registry, wanted: &[String]) -> Result<Vec<&'static str>, WorkerError> {
    let known: Vec<&'static str> = registry.queues().collect();
    if wanted.is_empty() {
        return Ok(known);
    }
    wanted
        .iter()
        .map(|w| {
            known
                .iter()
                .copied()
                .find(|k| *k == w.trim())
                .ok_or_else(|| WorkerError::UnknownQueue(w.clone(), known.join(", ")))
        })
        .collect()
}

/// A unique name for this process's workers: `host:pid:random`.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "host".into());
    format!("{host}:{}:{:04x}", std::process::id(), rand::random::<u16>())
}

macro_rules! register {
    ($monitor:ident, $queue:expr, $settings:expr, $handler:expr, $instance:expr, $make:expr) => {{
        let (queue, settings, handler, instance) = ($queue, $settings.clone(), $handler.clone(), $instance.clone());
        $monitor.register(move |restarts| {
            let handler = handler.clone();
            WorkerBuilder::new(format!("{queue}@{instance}#{restarts}"))
                .backend($make)
                .layer(ConcurrencyLimitLayer::new(settings.concurrency.max(1)))
                .layer(FailureLayer::new(queue, settings.retry))
                .build(move |payload: Value, attempt: Attempt| {
                    let handler = handler.clone();
                    async move { handler(payload, attempt.current()).await.map_err(|e| Box::new(e) as BoxDynError) }
                })
        })
    }};
}

/// Builds the monitor for `queues`.
pub async fn monitor(store: &Store, registry: &Registry, queues: &[&'static str]) -> Result<Monitor, WorkerError> {
    let settings = store.settings().clone();
    let instance = instance_name();
    let mut monitor = Monitor::new()
        .should_restart(|worker, error| {
            tracing::error!(worker = worker.name(), error = %error, "worker stopped; restarting it");
            true
        })
        .on_event(|worker, event| tracing::trace!(worker = worker.name(), event = ?event, "worker event"));
    let pools = pools::Pools::open(store, &settings).await?;
    // An enqueue in this process wakes its queue's worker at once; on PostgreSQL any process's
    // insert does too (the database notifies), instead of the next tick.
    let nudges: HashMap<&'static str, Arc<Notify>> = queues.iter().map(|q| (*q, store.nudges().of(q))).collect();
    if let pools::Pools::Postgres(pool) = &pools {
        wake::listen(pool.clone(), nudges.clone());
    }
    for queue in queues.iter().copied() {
        let handler = registry.get(queue).ok_or_else(|| WorkerError::UnknownQueue(queue.to_owned(), String::new()))?;
        let qs: QueueSettings =
            settings.queue(queue).cloned().ok_or_else(|| WorkerError::UnknownQueue(queue.to_owned(), String::new()))?;
        let (poll, beat, missed) = (settings.poll_interval, settings.heartbeat_interval, settings.missed_heartbeats);
        let nudge = nudges.get(queue).cloned();
        // Each storage has its own config type with the same builder methods.
        macro_rules! tuned {
            ($config:expr) => {
                $config.batch_size(qs.batch_size.max(1)).heartbeat_interval(beat).missed_heartbeats(missed)
            };
        }
        monitor = match &pools {
            pools::Pools::Sqlite(pool, gate) => {
                let (pool, gate, config) =
                    (pool.clone(), gate.clone(), tuned!(apalis_sqlite::Config::default().queue(queue)));
                register!(
                    monitor,
                    queue,
                    qs,
                    handler,
                    instance,
                    sqlite_turns::SqliteTurns::<Value>::new(pool.clone(), config.clone(), gate.clone())
                        .poll_with_strategy(wake::Wake::new(poll, nudge.clone()))
                )
            }
            pools::Pools::Postgres(pool) => {
                let (pool, config) = (pool.clone(), tuned!(apalis_postgres::Config::default().queue(queue)));
                register!(
                    monitor,
                    queue,
                    qs,
                    handler,
                    instance,
                    apalis_postgres::PostgresStorage::<Value>::new(&pool)
                        .with_config(config.clone())
                        .poll_with_strategy(wake::Wake::new(poll, nudge.clone()))
                )
            }
            pools::Pools::Redis(conn, config_of) => {
                let (conn, config) = (conn.clone(), tuned!(config_of(queue)));
                register!(
                    monitor,
                    queue,
                    qs,
                    handler,
                    instance,
                    apalis_redis::RedisStorage::<Value>::new(conn.clone())
                        .with_config(config.clone())
                        .poll_with_strategy(wake::Wake::new(poll, nudge.clone()))
                )
            }
        };
    }
    Ok(monitor)
}

impl From<SqlDialect> for &'static str {
    fn from(dialect: SqlDialect) -> Self {
        match dialect {
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Postgres => "postgres",
        }
    }
}
