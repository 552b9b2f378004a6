//! Enqueue → start latency of one job, on each storage, with the production poll interval and
//! heartbeat (`poll_interval_ms = 500`, `heartbeat_secs = 30`): idle (each job enqueued after a
//! quiet gap of 0.6–3 s, the case that used to wait for the next heartbeat) and under load
//! (probe jobs among a steady stream of no-op jobs). Reports p50 / p99 / max. A load tool, not a
//! timed test.
//!
//! cargo bench -p tresor-jobs --bench latency
//! BENCH_DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379 \
//!     BENCH_PROBES=40 cargo bench -p tresor-jobs --bench latency
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::AnyPoolOptions;
use sqlx::{Connection, Executor};
use tresor_jobs::Store;
use tresor_jobs::failure::RetryPolicy;
use tresor_jobs::settings::{Backend, JobSettings, QueueSettings};
use tresor_jobs::store::{NewJob, SqlDatabase, SqlDialect};
use tresor_jobs::worker::{Plan, Registry};

const PROBE: &str = "probe";
const FILLER: &str = "filler";

fn settings(backend: Backend) -> JobSettings {
    let retry =
        RetryPolicy { max_attempts: 3, base: Duration::from_millis(100), max: Duration::from_secs(1), jitter: 0.0 };
    let mut queues = BTreeMap::new();
    queues.insert(PROBE, QueueSettings { concurrency: 4, batch_size: 10, retry });
    queues.insert(FILLER, QueueSettings { concurrency: 10, batch_size: 10, retry });
    JobSettings {
        backend,
        namespace: format!("tresor_latency_{}", std::process::id()),
        poll_interval: Duration::from_millis(
            std::env::var("BENCH_POLL_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(500),
        ),
        heartbeat_interval: Duration::from_secs(30),
        missed_heartbeats: 4,
        shutdown_timeout: Duration::from_secs(10),
        idempotency_ttl: Duration::from_secs(600),
        queues,
        schedules: Vec::new(),
    }
}

fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

fn job(queue: &'static str) -> NewJob {
    NewJob {
        queue,
        payload: serde_json::json!({"at": now_micros()}),
        key: None,
        id: None,
        run_at: None,
        max_attempts: 3,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(backend: &str, case: &str, mut latencies: Vec<f64>) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "{backend:<10} {case:<6} n={:<3} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
}

/// Runs the probes on `store`, idle then under load.
async fn measure(store: Store, backend: &str, probes: usize) {
    let seen: Arc<Mutex<Vec<f64>>> = Arc::default();
    let record = seen.clone();
    let registry = Registry::new()
        .with(
            PROBE,
            Arc::new(move |payload, _| {
                let at = payload["at"].as_u64().unwrap_or(0);
                let waited = now_micros().saturating_sub(at) as f64 / 1000.0;
                record.lock().unwrap().push(waited);
                Box::pin(async { Ok(()) })
            }),
        )
        .with(FILLER, Arc::new(|_, _| Box::pin(async { Ok(()) })));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(tresor_jobs::worker::run(
        store.clone(),
        registry,
        Plan { queues: vec![], schedules: false },
        async {
            let _ = stop_rx.await;
        },
    ));
    // Let the workers register and settle.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let run = async |label: &str| {
        seen.lock().unwrap().clear();
        let mut pushes = Vec::new();
        for i in 0..probes {
            // A quiet gap of 0.6–3 s (deterministic spread) before each probe.
            let gap = 600 + (i as u64 * 619) % 2400;
            tokio::time::sleep(Duration::from_millis(gap)).await;
            let started = std::time::Instant::now();
            assert!(store.push(job(PROBE)).await.unwrap());
            pushes.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while seen.lock().unwrap().len() < probes {
            assert!(tokio::time::Instant::now() < deadline, "probes did not all run");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        report(backend, label, seen.lock().unwrap().clone());
        report(backend, "(push)", pushes);
    };
    run("idle").await;

    // Load: ~200 no-op jobs per second on another queue while the probes run.
    let (load_stop, mut load_stopped) = tokio::sync::oneshot::channel::<()>();
    let filler_store = store.clone();
    let load = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = &mut load_stopped => return,
                _ = ticks.tick() => {
                    let batch: Vec<NewJob> = (0..10).map(|_| job(FILLER)).collect();
                    let _ = filler_store.push_many(&batch).await;
                }
            }
        }
    });
    run("load").await;
    let _ = load_stop.send(());
    load.await.unwrap();
    let _ = stop_tx.send(());
    worker.await.unwrap().unwrap();
}

async fn sql(url: &str, dialect: SqlDialect, probes: usize) {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(4).connect(url).await.unwrap();
    {
        let mut conn = pool.acquire().await.unwrap();
        tresor_jobs::store::migrator(dialect).run(&mut *conn).await.unwrap();
        let table = if dialect == SqlDialect::Sqlite { "Jobs" } else { "apalis.jobs" };
        conn.execute(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE job_type IN ('{PROBE}', '{FILLER}')")))
            .await
            .unwrap();
    }
    // As in the application: on SQLite one writer connection, so enqueues queue in-process
    // instead of meeting "database is locked".
    let writer = match dialect {
        SqlDialect::Sqlite => AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap(),
        SqlDialect::Postgres => pool.clone(),
    };
    let db = SqlDatabase::new(url, writer, pool.clone());
    let name = if dialect == SqlDialect::Sqlite { "sqlite" } else { "postgres" };
    measure(Store::sql(db, settings(Backend::Database)), name, probes).await;
    pool.close().await;
}

fn main() {
    let probes: usize = std::env::var("BENCH_PROBES").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    // Worker and producer share one thread, as in `tresor worker` (an actix arbiter).
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            conn.execute("PRAGMA journal_mode = WAL").await.unwrap();
        }
        println!(
            "enqueue → start, {probes} probes per case, poll interval {:?}",
            settings(Backend::Database).poll_interval
        );
        sql(&url, SqlDialect::Sqlite, probes).await;
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            sql(&url, SqlDialect::Postgres, probes).await;
        }
        if let Ok(url) = std::env::var("BENCH_REDIS_URL") {
            measure(Store::redis(&url, settings(Backend::Redis)).unwrap(), "redis", probes).await;
        }
    });
}
