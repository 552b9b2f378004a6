//! No-op jobs through each storage: how fast they enqueue and how fast one worker process
//! (one thread, as in `tresor worker`) runs them. A load tool, not a timed test.
//!
//! cargo bench -p tresor-jobs --bench throughput
//! BENCH_DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379 \
//!     BENCH_JOBS=20000 cargo bench -p tresor-jobs --bench throughput
//!
//! Baseline, measured in the same run on the same connection: the cheapest possible
//! round trip (`SELECT 1`) — a job costs at least its share of a fetch, a lock and an ack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor};
use tresor_jobs::Store;
use tresor_jobs::failure::RetryPolicy;
use tresor_jobs::settings::{Backend, JobSettings, QueueSettings};
use tresor_jobs::store::{NewJob, SqlDatabase, SqlDialect};
use tresor_jobs::worker::{Plan, Registry};

const QUEUE: &str = "noop";

fn settings(backend: Backend, batch: usize, concurrency: usize) -> JobSettings {
    let retry =
        RetryPolicy { max_attempts: 3, base: Duration::from_millis(100), max: Duration::from_secs(1), jitter: 0.0 };
    let mut queues = BTreeMap::new();
    queues.insert(QUEUE, QueueSettings { concurrency, batch_size: batch, retry });
    JobSettings {
        backend,
        namespace: format!("tresor_bench_{}", std::process::id()),
        poll_interval: Duration::from_millis(
            std::env::var("BENCH_POLL_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(20),
        ),
        heartbeat_interval: Duration::from_secs(30),
        missed_heartbeats: 4,
        shutdown_timeout: Duration::from_secs(10),
        idempotency_ttl: Duration::from_secs(600),
        queues,
        schedules: Vec::new(),
    }
}

fn jobs(n: usize) -> Vec<NewJob> {
    (0..n)
        .map(|i| NewJob {
            queue: QUEUE,
            payload: serde_json::json!({"i": i}),
            key: None,
            id: None,
            run_at: None,
            max_attempts: 3,
        })
        .collect()
}

async fn baseline(pool: &AnyPool, rounds: usize) -> f64 {
    let mut conn = pool.acquire().await.unwrap();
    let started = Instant::now();
    for _ in 0..rounds {
        conn.execute("SELECT 1").await.unwrap();
    }
    rounds as f64 / started.elapsed().as_secs_f64()
}

/// Enqueues `n` jobs, then runs them; returns (enqueued/s, processed/s).
async fn measure(store: Store, n: usize) -> (f64, f64) {
    let started = Instant::now();
    let inserted = store.push_many(&jobs(n)).await.unwrap();
    assert_eq!(inserted as usize, n);
    let enqueue = n as f64 / started.elapsed().as_secs_f64();

    let done = Arc::new(AtomicUsize::new(0));
    let counter = done.clone();
    let registry = Registry::new().with(
        QUEUE,
        Arc::new(move |_, _| {
            counter.fetch_add(1, Ordering::Relaxed);
            Box::pin(async { Ok(()) })
        }),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let worker = tokio::spawn(tresor_jobs::worker::run(
        store.clone(),
        registry,
        Plan { queues: vec![], schedules: false },
        async {
            let _ = stop_rx.await;
        },
    ));
    while done.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(started.elapsed() < Duration::from_secs(600), "stalled at {}", done.load(Ordering::Relaxed));
    }
    let process = n as f64 / started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    worker.await.unwrap().unwrap();
    (enqueue, process)
}

async fn sql(url: &str, dialect: SqlDialect, n: usize) {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(4).connect(url).await.unwrap();
    {
        let mut conn = pool.acquire().await.unwrap();
        tresor_jobs::store::migrator(dialect).run(&mut *conn).await.unwrap();
        let table = if dialect == SqlDialect::Sqlite { "Jobs" } else { "apalis.jobs" };
        conn.execute(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE job_type = '{QUEUE}'"))).await.unwrap();
    }
    let rtt = baseline(&pool, 2000).await;
    println!("{dialect:?}: baseline round trip (SELECT 1) {rtt:.0}/s");
    for (batch, concurrency) in [(10, 10), (100, 100), (500, 500)] {
        let db = SqlDatabase::new(url, pool.clone(), pool.clone());
        let store = Store::sql(db, settings(Backend::Database, batch, concurrency));
        let (enqueue, process) = measure(store, n).await;
        println!("{dialect:?}: batch {batch:>3}: enqueue {enqueue:>8.0} jobs/s   process {process:>7.0} jobs/s");
    }
    pool.close().await;
}

async fn redis(url: &str, n: usize) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let started = Instant::now();
    for _ in 0..2000 {
        redis::cmd("PING").query_async::<String>(&mut conn).await.unwrap();
    }
    println!("Redis: baseline round trip (PING) {:.0}/s", 2000.0 / started.elapsed().as_secs_f64());
    for (batch, concurrency) in [(10, 10), (100, 100), (500, 500)] {
        let store = Store::redis(url, settings(Backend::Redis, batch, concurrency)).unwrap();
        let (enqueue, process) = measure(store, n).await;
        println!("Redis: batch {batch:>3}: enqueue {enqueue:>8.0} jobs/s   process {process:>7.0} jobs/s");
    }
}

fn main() {
    let n: usize = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    // One thread, like the worker process (an actix arbiter).
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            conn.execute("PRAGMA journal_mode = WAL").await.unwrap();
        }
        println!("{n} no-op jobs per run");
        sql(&url, SqlDialect::Sqlite, n).await;
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            sql(&url, SqlDialect::Postgres, n).await;
        }
        if let Ok(url) = std::env::var("BENCH_REDIS_URL") {
            redis(&url, n).await;
        }
    });
}
