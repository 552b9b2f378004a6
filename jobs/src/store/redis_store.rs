//! The Redis storage (apalis-redis). Keys are `<namespace>:<queue>:...`.

use std::collections::BTreeMap;
use std::time::Duration;

use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use super::overview::{DeadJob, Overview, QueueDepth};
use super::{NewJob, StoreError};
use crate::settings::JobSettings;

pub(crate) struct RedisQueue {
    client: redis::Client,
    manager: OnceCell<ConnectionManager>,
    namespace: String,
    idempotency_ttl: Duration,
}

fn redis_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Redis(error.to_string())
}

impl RedisQueue {
    /// `root_cert`: the PEM root a `rediss://` server is checked against (else the system's).
    pub(crate) fn open(url: &str, root_cert: Option<Vec<u8>>, settings: &JobSettings) -> Result<Self, StoreError> {
        let client = match root_cert {
            Some(root_cert) if url.starts_with("rediss://") => {
                let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) };
                redis::Client::build_with_tls(url, certs)
            }
            _ => redis::Client::open(url),
        };
        Ok(Self {
            client: client.map_err(redis_error)?,
            manager: OnceCell::new(),
            namespace: settings.namespace.clone(),
            idempotency_ttl: settings.idempotency_ttl,
        })
    }

    pub(crate) async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        self.manager
            .get_or_try_init(|| async {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(5)));
                self.client.get_connection_manager_with_config(config).await
            })
            .await
            .cloned()
            .map_err(redis_error)
    }

    /// apalis-redis's configuration of one queue (key names, idempotency TTL).
    pub(crate) fn config(&self, queue: &str) -> apalis_redis::Config {
        apalis_redis::Config::default()
            .queue(format!("{}:{queue}", self.namespace))
            .idempotency_ttl(Some(self.idempotency_ttl))
    }

    pub(crate) async fn push(&self, jobs: &[NewJob]) -> Result<u64, StoreError> {
        let mut by_queue: BTreeMap<&str, Vec<apalis_redis::RedisTask>> = BTreeMap::new();
        for job in jobs {
            let bytes = serde_json::to_vec(&job.payload).map_err(|e| StoreError::Payload(e.to_string()))?;
            let id = job.id.map_or_else(super::fresh_ulid, ulid::Ulid::from);
            let mut task = TaskBuilder::new(bytes)
                .task_id(TaskId::from_ulid(id))
                .max_attempts(job.max_attempts)
                .run_at_timestamp(u64::try_from(job.run_at()).unwrap_or(0));
            if let Some(key) = &job.key {
                task = task.idempotency_key(key);
            }
            by_queue.entry(job.queue).or_default().push(task.build());
        }
        let mut conn = self.connection().await?;
        let mut inserted = 0;
        for (queue, tasks) in by_queue {
            let (now, later) =
                apalis_redis::queries::push_tasks(&mut conn, &self.config(queue), &tasks).await.map_err(redis_error)?;
            inserted += u64::from(now) + u64::from(later);
        }
        Ok(inserted)
    }

    pub(crate) async fn overview(&self, queues: &[&'static str], limit: usize) -> Result<Overview, StoreError> {
        let mut conn = self.connection().await?;
        let mut depths = Vec::new();
        let mut failures = Vec::new();
        for queue in queues {
            let config = self.config(queue);
            let active: u64 = conn.llen(config.active_jobs_list()).await.map_err(redis_error)?;
            let scheduled: u64 = conn.zcard(config.scheduled_jobs_set()).await.map_err(redis_error)?;
            let dead: u64 = conn.scard(config.dead_jobs_set()).await.map_err(redis_error)?;
            let workers: Vec<String> = conn.zrange(config.workers_set(), 0, -1).await.map_err(redis_error)?;
            let mut running = 0_u64;
            for inflight in workers {
                running += conn.scard::<_, u64>(&inflight).await.map_err(redis_error)?;
            }
            let mut depth = QueueDepth::empty(queue);
            depth.waiting = active + scheduled;
            depth.running = running;
            depth.dead = dead;
            depths.push(depth);
            let ids: Vec<String> = conn
                .srandmember_multiple(config.dead_jobs_set(), isize::try_from(limit).unwrap_or(isize::MAX))
                .await
                .map_err(redis_error)?;
            for id in ids {
                let meta = meta(&mut conn, &config, &id).await?;
                failures.push(failure(id, queue, &meta, true));
            }
        }
        failures.extend(self.given_back(&mut conn, queues, limit).await?);
        failures.sort_by_key(|f| std::cmp::Reverse(f.finished_at));
        failures.truncate(limit);
        Ok(Overview::new(depths, failures))
    }

    /// Jobs whose last run failed and which wait in the scheduled set to run again (a worker
    /// stopped during their backoff): recent failures that are not dead.
    async fn given_back(
        &self,
        conn: &mut ConnectionManager,
        queues: &[&'static str],
        limit: usize,
    ) -> Result<Vec<DeadJob>, StoreError> {
        let mut failures = Vec::new();
        for queue in queues {
            let config = self.config(queue);
            let last = isize::try_from(limit.saturating_mul(4)).unwrap_or(isize::MAX);
            let ids: Vec<String> = conn.zrange(config.scheduled_jobs_set(), 0, last).await.map_err(redis_error)?;
            for id in ids {
                let meta = meta(conn, &config, &id).await?;
                if meta.get("status").is_some_and(|s| s == "Failed") {
                    failures.push(failure(id, queue, &meta, false));
                }
            }
        }
        Ok(failures)
    }

    /// Puts dead jobs back on their queue with their attempts reset: the one with `id`, or
    /// every dead job when `id` is `None`. Returns how many.
    pub(crate) async fn retry_dead(&self, queues: &[&'static str], id: Option<&str>) -> Result<u64, StoreError> {
        let script = redis::Script::new(include_str!("retry_dead.lua"));
        let mut conn = self.connection().await?;
        let mut retried = 0_u64;
        for queue in queues {
            let config = self.config(queue);
            let mut invocation = script.prepare_invoke();
            invocation
                .key(config.dead_jobs_set())
                .key(config.active_jobs_list())
                .key(config.signal_list())
                .key(config.job_meta_hash())
                .key(config.job_data_hash());
            if let Some(id) = id {
                invocation.arg(id);
            }
            let count: u64 = invocation.invoke_async(&mut conn).await.map_err(redis_error)?;
            retried += count;
        }
        Ok(retried)
    }

    /// Deletes finished jobs that ended before `before` (Unix seconds) from every queue: ids,
    /// payloads and metadata. Dead jobs are kept. Returns how many were deleted.
    pub(crate) async fn prune_done(&self, queues: &[&'static str], before: i64) -> Result<u64, StoreError> {
        let script = redis::Script::new(include_str!("prune_done.lua"));
        let mut conn = self.connection().await?;
        let mut deleted = 0_u64;
        for queue in queues {
            let config = self.config(queue);
            let mut cursor = 0_u64;
            loop {
                let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
                    .arg(config.done_jobs_set())
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut conn)
                    .await
                    .map_err(redis_error)?;
                if !ids.is_empty() {
                    let removed: u64 = script
                        .key(config.done_jobs_set())
                        .key(config.job_data_hash())
                        .key(config.job_meta_hash())
                        .arg(before)
                        .arg(&ids)
                        .invoke_async(&mut conn)
                        .await
                        .map_err(redis_error)?;
                    deleted += removed;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(deleted)
    }
}

async fn meta(
    conn: &mut ConnectionManager,
    config: &apalis_redis::Config,
    id: &str,
) -> Result<BTreeMap<String, String>, StoreError> {
    conn.hgetall(format!("{}:{id}", config.job_meta_hash())).await.map_err(redis_error)
}

fn failure(id: String, queue: &str, meta: &BTreeMap<String, String>, dead: bool) -> DeadJob {
    DeadJob {
        id,
        queue: queue.to_owned(),
        attempts: meta.get("attempts").and_then(|a| a.parse().ok()).unwrap_or(0),
        dead,
        error: DeadJob::error_of(meta.get("result").map(String::as_str)),
        finished_at: meta.get("done_at").and_then(|d| d.parse().ok()),
    }
}
