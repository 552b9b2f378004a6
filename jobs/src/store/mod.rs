//! The queue's storage, chosen by configuration: the application database (apalis-sqlite /
//! apalis-postgres tables next to the application's own) or Redis (apalis-redis). One API for
//! all three: [`Store::enqueue_in`] joins the caller's transaction where the storage allows,
//! [`Store::enqueue`] pushes on its own.

mod new_job;
mod nudges;
mod overview;
mod redis_store;
mod sql;
mod write_gate;

use std::sync::Arc;

use sqlx::{AnyConnection, AnyPool};

pub use new_job::NewJob;
pub(crate) use new_job::fresh_ulid;
pub use nudges::Nudges;
pub use overview::{DeadJob, Overview, QueueDepth};
pub use sql::{SqlDialect, migrator, migrator_for};
pub(crate) use write_gate::{Turn, WriteGate};

use crate::job::Job;
use crate::metrics;
use crate::settings::{Backend, JobSettings};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("job queue database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("job queue redis: {0}")]
    Redis(String),
    #[error("job payload: {0}")]
    Payload(String),
    #[error("no queue named {0:?}")]
    UnknownQueue(String),
}

/// The application database as the jobs crate needs it: plain pools, no application types.
#[derive(Clone, Debug)]
pub struct SqlDatabase {
    pub url: String,
    /// Which engine `url` names; the application never has to translate its own dialect type.
    pub(crate) dialect: SqlDialect,
    /// Writes (on SQLite the single writer connection, so enqueues queue in-process).
    pub writer: AnyPool,
    pub reader: AnyPool,
    /// This process's queue writers' turns at the write lock (used on SQLite).
    pub(crate) gate: WriteGate,
}

impl SqlDatabase {
    /// The application's pools on the database at `url`.
    pub fn new(url: &str, writer: AnyPool, reader: AnyPool) -> Self {
        Self { url: url.to_owned(), dialect: SqlDialect::of_url(url), writer, reader, gate: WriteGate::default() }
    }

    /// On SQLite, this writer's turn among the queue's writers in this process; on PostgreSQL
    /// (row locks, many writers at once) none.
    pub(crate) async fn turn(&self) -> Option<Turn> {
        match self.dialect {
            SqlDialect::Sqlite => Some(self.gate.turn().await),
            SqlDialect::Postgres => None,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
    /// Wake-ups of this process's idle workers.
    nudges: Arc<Nudges>,
}

enum Inner {
    Sql { db: SqlDatabase, settings: JobSettings },
    Redis { redis: Box<redis_store::RedisQueue>, settings: JobSettings },
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            Inner::Sql { db, .. } => write!(f, "Store::Sql({:?})", db.dialect),
            Inner::Redis { .. } => f.write_str("Store::Redis"),
        }
    }
}

/// What an enqueue inside a transaction leaves for after its commit: on Redis the job itself
/// (it could not join the transaction), on the database a wake-up of this process's worker of
/// the job's queue (the job is visible only once committed). Dropping it without
/// [`Deferred::after_commit`] is safe for work a sweeper covers (mail), which will enqueue it
/// within a minute or two; on the database the worker then finds the job at its next poll.
#[must_use = "hand it to after_commit once the transaction commits"]
#[derive(Debug, Default)]
pub struct Deferred {
    jobs: Vec<NewJob>,
    wake: Vec<&'static str>,
}

impl Deferred {
    /// Whether no job is left to push (the enqueue joined the transaction).
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// This and `other`, to carry out together after one commit.
    pub fn and(mut self, other: Deferred) -> Deferred {
        self.jobs.extend(other.jobs);
        self.wake.extend(other.wake);
        self
    }

    /// Pushes what is left and wakes the workers. Errors are logged, not returned: the
    /// transaction has committed, and the sweeper will find the work.
    pub async fn after_commit(self, store: &Store) {
        for job in self.jobs {
            if let Err(error) = store.push(job.clone()).await {
                tracing::warn!(queue = job.queue, error = %error, "enqueue after commit failed; the sweeper will retry");
            }
        }
        for queue in self.wake {
            store.nudges.nudge(queue);
        }
    }
}

impl Store {
    /// The queue in the application database.
    pub fn sql(db: SqlDatabase, settings: JobSettings) -> Self {
        Self { inner: Arc::new(Inner::Sql { db, settings }), nudges: Arc::default() }
    }

    /// The queue in Redis. The connection is opened lazily, so a Redis that is down at start
    /// makes enqueues fail (and be swept later) rather than the process refuse to start.
    pub fn redis(url: &str, settings: JobSettings) -> Result<Self, StoreError> {
        Self::redis_with_root(url, None, settings)
    }

    /// The queue in Redis, a `rediss://` server being checked against `root_cert` (PEM; a
    /// private CA) instead of the system's roots when given.
    pub fn redis_with_root(url: &str, root_cert: Option<Vec<u8>>, settings: JobSettings) -> Result<Self, StoreError> {
        let redis = Box::new(redis_store::RedisQueue::open(url, root_cert, &settings)?);
        Ok(Self { inner: Arc::new(Inner::Redis { redis, settings }), nudges: Arc::default() })
    }

    pub fn backend(&self) -> Backend {
        match &*self.inner {
            Inner::Sql { .. } => Backend::Database,
            Inner::Redis { .. } => Backend::Redis,
        }
    }

    /// The wake-ups of this process's workers.
    pub fn nudges(&self) -> &Nudges {
        &self.nudges
    }

    pub fn settings(&self) -> &JobSettings {
        match &*self.inner {
            Inner::Sql { settings, .. } | Inner::Redis { settings, .. } => settings,
        }
    }

    pub(crate) fn sql_database(&self) -> Option<&SqlDatabase> {
        match &*self.inner {
            Inner::Sql { db, .. } => Some(db),
            Inner::Redis { .. } => None,
        }
    }

    pub(crate) fn redis_queue(&self) -> Option<&redis_store::RedisQueue> {
        match &*self.inner {
            Inner::Redis { redis, .. } => Some(redis),
            Inner::Sql { .. } => None,
        }
    }

    /// A typed job with its queue's attempt count.
    pub fn job<J: Job>(&self, job: &J) -> Result<NewJob, StoreError> {
        let queue = self.settings().queue(J::QUEUE).ok_or_else(|| StoreError::UnknownQueue(J::QUEUE.to_owned()))?;
        NewJob::of(job, queue.retry.max_attempts)
    }

    /// Enqueues `job` inside the caller's transaction on the database storages (a rollback
    /// takes the job with it); on Redis, returns it deferred until after the commit.
    #[tracing::instrument(skip_all, fields(queue = J::QUEUE))]
    pub async fn enqueue_in<J: Job>(&self, conn: &mut AnyConnection, job: &J) -> Result<Deferred, StoreError> {
        let new = self.job(job)?;
        match &*self.inner {
            Inner::Sql { db, .. } => {
                let inserted = sql::insert(conn, db.dialect, std::slice::from_ref(&new)).await?;
                metrics::enqueued(new.queue, inserted);
                Ok(Deferred { jobs: Vec::new(), wake: vec![new.queue] })
            }
            Inner::Redis { .. } => Ok(Deferred { jobs: vec![new], wake: Vec::new() }),
        }
    }

    /// Enqueues a typed job now, outside any transaction. Returns whether it was new.
    pub async fn enqueue<J: Job>(&self, job: &J) -> Result<bool, StoreError> {
        let new = self.job(job)?;
        self.push(new).await
    }

    /// Enqueues one job; `false` when a job with the same key already exists.
    pub async fn push(&self, job: NewJob) -> Result<bool, StoreError> {
        Ok(self.push_many(std::slice::from_ref(&job)).await? > 0)
    }

    /// Enqueues many jobs of one or more queues in as few round trips as the storage allows;
    /// returns how many were new.
    #[tracing::instrument(skip_all, fields(jobs = jobs.len()))]
    pub async fn push_many(&self, jobs: &[NewJob]) -> Result<u64, StoreError> {
        let mut total = 0;
        for chunk in jobs.chunks(500) {
            let inserted = match &*self.inner {
                Inner::Sql { db, .. } => {
                    let _turn = db.turn().await;
                    let mut conn = db.writer.acquire().await?;
                    sql::insert(&mut conn, db.dialect, chunk).await?
                }
                Inner::Redis { redis, .. } => redis.push(chunk).await?,
            };
            total += inserted;
        }
        let mut woken: Vec<&str> = Vec::new();
        for job in jobs {
            if !woken.contains(&job.queue) {
                woken.push(job.queue);
                self.nudges.nudge(job.queue);
            }
        }
        if let Some(first) = jobs.first()
            && jobs.iter().all(|j| j.queue == first.queue)
        {
            metrics::enqueued(first.queue, total);
        }
        Ok(total)
    }

    /// Deletes finished (done) jobs that ended before `before` (Unix seconds); dead jobs are
    /// kept. Returns how many were deleted.
    pub async fn prune_finished(&self, before: i64) -> Result<u64, StoreError> {
        match &*self.inner {
            Inner::Sql { db, .. } => Ok(sql::prune_finished(db, before).await?),
            Inner::Redis { redis, .. } => {
                let queues: Vec<&'static str> = self.settings().queues.keys().copied().collect();
                redis.prune_done(&queues, before).await
            }
        }
    }

    /// Puts dead jobs back on their queues with their attempts reset, to run again now: the one
    /// with `id`, or every dead job when `id` is `None` (`tresor jobs retry`). Returns how many;
    /// 0 when `id` names no dead job.
    pub async fn retry_dead(&self, id: Option<&str>) -> Result<u64, StoreError> {
        match &*self.inner {
            Inner::Sql { db, .. } => Ok(sql::retry_dead(db, id).await?),
            Inner::Redis { redis, .. } => {
                let queues: Vec<&'static str> = self.settings().queues.keys().copied().collect();
                redis.retry_dead(&queues, id).await
            }
        }
    }

    /// Queue depth per job type, recent failures and dead jobs (what `GET /v1/admin/jobs`
    /// serves), and the gauges of the same numbers.
    pub async fn overview(&self, limit: usize) -> Result<Overview, StoreError> {
        let queues: Vec<&'static str> = self.settings().queues.keys().copied().collect();
        let overview = match &*self.inner {
            Inner::Sql { db, .. } => sql::overview(db, &queues, limit).await?,
            Inner::Redis { redis, .. } => redis.overview(&queues, limit).await?,
        };
        for depth in &overview.queues {
            metrics::depth(&depth.queue, depth.waiting, depth.running, depth.dead);
        }
        Ok(overview)
    }
}
