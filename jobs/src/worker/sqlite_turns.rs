//! The SQLite worker backend: apalis-sqlite's storage with every write transaction taken in
//! turn with this process's other queue writers ([`WriteGate`]).
//!
//! apalis-sqlite's own persistence begins its transactions on its pool directly, so there is
//! nowhere to wait for a turn in it; this is the same persistence (the same public queries of
//! `apalis_sqlite::queries`, in the same transactions) with the turn taken before each.

use std::marker::PhantomData;
use std::task::{Context, Poll};

use apalis_core::backend::finalize::Durable;
use apalis_core::backend::persistence::{Persisted, Persistence, TaskEvent, TaskPersistLayer};
use apalis_core::backend::{Backend, BackendConfig, WireFormatBackend, WorkerFilter};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use apalis_sqlite::{Config, Error, JsonCodec, queries};
use serde_json::Value;
use sqlx::SqlitePool;
use ulid::Ulid;

use crate::store::WriteGate;

/// apalis-sqlite's storage for one queue, its writes in turn through `gate`.
pub struct SqliteTurns<Args> {
    persistence: Persisted<Turns>,
    codec: JsonCodec<Vec<u8>>,
    args: PhantomData<fn() -> Args>,
}

impl<Args> SqliteTurns<Args> {
    pub fn new(pool: SqlitePool, config: Config, gate: WriteGate) -> Self {
        Self {
            persistence: Persisted::new(Turns { pool, config, gate }),
            codec: JsonCodec::default(),
            args: PhantomData,
        }
    }
}

#[derive(Clone)]
struct Turns {
    pool: SqlitePool,
    config: Config,
    gate: WriteGate,
}

impl Persistence for Turns {
    type Compact = Vec<u8>;
    type Response = Value;
    type Error = Error;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let dead_for = i64::try_from(self.config.heartbeat_interval.as_secs()).unwrap_or(i64::MAX);
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        let only = WorkerFilter::Only(worker.name().to_owned());
        queries::reenqueue_orphaned(&mut *tx, dead_for, self.config.queue.as_ref(), &only).await?;
        queries::register_worker(&mut *tx, &self.config, worker, "SqliteStorage").await?;
        tx.commit().await?;
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let orphaned_after = i64::try_from(self.config.orphaned_duration().as_secs()).unwrap_or(i64::MAX);
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        queries::keep_alive(&mut *tx, &self.config, worker).await?;
        let others = WorkerFilter::AllExcept(worker.name().to_owned());
        queries::reenqueue_orphaned(&mut *tx, orphaned_after, self.config.queue.as_ref(), &others).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Vec<u8>>>, Error> {
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        let tasks = queries::fetch_next(&mut *tx, &self.config, worker).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    async fn handle_events(&mut self, events: Vec<TaskEvent<Value>>, worker: &WorkerContext) -> Result<(), Error> {
        let mut locks = Vec::new();
        let mut acks = Vec::new();
        for event in &events {
            match event {
                TaskEvent::Lock { task_id } => locks.push(task_id.to_string()),
                TaskEvent::Complete(result) => acks.push(result),
                _ => {}
            }
        }
        if locks.is_empty() && acks.is_empty() {
            return Ok(());
        }
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        if !locks.is_empty() {
            queries::lock_tasks(&mut *tx, &locks, worker.name()).await?;
        }
        if !acks.is_empty() {
            queries::ack_tasks(&mut *tx, &acks, worker.name()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reenqueue_abandoned(&mut self, tasks: Vec<Task<Vec<u8>>>, worker: &WorkerContext) -> Result<u64, Error> {
        let ids: Vec<String> = tasks.iter().filter_map(|t| t.task_id().map(ToString::to_string)).collect();
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        let count = queries::reenqueue_abandoned(&mut *tx, self.config.queue.as_ref(), worker.name(), &ids).await?;
        if usize::try_from(count).ok() != Some(tasks.len()) {
            return Err(Error::ReenqueueMismatch {
                queued: tasks.len(),
                abandoned: usize::try_from(count).unwrap_or(0),
            });
        }
        tx.commit().await?;
        Ok(count)
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), Error> {
        let _turn = self.gate.turn().await;
        let mut tx = self.pool.begin().await?;
        queries::push_tasks(&mut *tx, self.config.queue.as_ref(), &tasks).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<Args> Backend for SqliteTurns<Args> {
    type Task = Task<Vec<u8>>;
    type Error = Error;

    fn poll_ready(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Error>> {
        let beat = self.persistence.config.heartbeat_interval;
        self.persistence.poll_ready(cx, worker, beat)
    }

    fn poll_next(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Option<Result<Self::Task, Error>>> {
        self.persistence.poll_next(cx, worker)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Error>> {
        self.persistence.poll_close(cx, worker)
    }
}

impl<Args> BackendConfig for SqliteTurns<Args> {
    type Args = Args;
    type Id = Ulid;
    type Kind = Durable;
    type Config = Config;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &Config {
        &self.persistence.config
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        let (batch, results, locks) = {
            let config = &self.persistence.config;
            (config.batch_size, config.persist_results, config.lock_tasks)
        };
        self.persistence.layer(JsonCodec::default(), batch).persist_results(results).lock_tasks(locks)
    }
}

impl<Args> WireFormatBackend for SqliteTurns<Args> {
    type Codec = JsonCodec<Vec<u8>>;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}
