//! The failure rules on every storage: a job runs once; a retryable failure is retried with
//! growing delays and then succeeds; a permanent failure goes straight to dead; exhausted
//! attempts end dead with the error kept.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tresor_jobs::JobError;
use tresor_jobs::settings::Backend;
use tresor_jobs::store::NewJob;
use tresor_jobs::worker::Registry;

use crate::support::jobs::{backends, eventually, quick_retry, settings, start_workers, store};
use crate::support::spawn_app;

const QUEUE: &str = "probe";

/// Records each run's time and answers from a script: the n-th run returns `script(n)`.
#[derive(Clone)]
struct Probe {
    runs: Arc<Mutex<Vec<Instant>>>,
}

impl Probe {
    fn registry(script: fn(usize) -> Result<(), JobError>) -> (Self, Registry) {
        let probe = Self { runs: Arc::default() };
        let runs = probe.runs.clone();
        let registry = Registry::new().with(
            QUEUE,
            Arc::new(move |_payload, _attempt| {
                let runs = runs.clone();
                Box::pin(async move {
                    let n = {
                        let mut runs = runs.lock().unwrap();
                        runs.push(Instant::now());
                        runs.len()
                    };
                    script(n)
                })
            }),
        );
        (probe, registry)
    }

    fn count(&self) -> usize {
        self.runs.lock().unwrap().len()
    }

    fn gaps(&self) -> Vec<Duration> {
        let runs = self.runs.lock().unwrap();
        runs.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

fn job(max_attempts: usize) -> NewJob {
    NewJob {
        queue: QUEUE,
        payload: serde_json::json!({"n": 1}),
        key: Some(uuid::Uuid::new_v4().to_string()),
        id: None,
        run_at: None,
        max_attempts,
    }
}

async fn idle(store: &tresor_jobs::Store) -> bool {
    let overview = store.overview(10).await.unwrap();
    overview.queues.iter().all(|q| q.waiting == 0 && q.running == 0)
}

#[actix_web::test]
async fn a_job_runs_once_on_every_storage() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(3, 100))]));
        let (probe, registry) = Probe::registry(|_| Ok(()));
        let workers = start_workers(&store, registry, false);
        assert!(store.push(job(3)).await.unwrap());
        eventually(Duration::from_secs(20), "the job to run", async || probe.count() == 1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(probe.count(), 1, "{backend:?}: ran exactly once");
        eventually(Duration::from_secs(10), "the queue to drain", async || idle(&store).await).await;
        let overview = store.overview(10).await.unwrap();
        assert!(overview.dead.is_empty(), "{backend:?}: {overview:?}");
        workers.stop().await;
    }
}

#[actix_web::test]
async fn a_job_enqueued_twice_with_one_key_runs_once() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(3, 100))]));
        let (probe, registry) = Probe::registry(|_| Ok(()));
        let job = job(3);
        assert!(store.push(job.clone()).await.unwrap());
        assert!(!store.push(job.clone()).await.unwrap(), "{backend:?}: the second enqueue is a no-op");
        let workers = start_workers(&store, registry, false);
        eventually(Duration::from_secs(20), "the job to run", async || probe.count() == 1).await;
        assert!(!store.push(job).await.unwrap(), "{backend:?}: still a no-op after it ran");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(probe.count(), 1, "{backend:?}");
        workers.stop().await;
    }
}

#[actix_web::test]
async fn a_retryable_failure_is_retried_with_growing_delays_then_succeeds() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(5, 200))]));
        let (probe, registry) =
            Probe::registry(|n| if n < 3 { Err(JobError::retryable("mail server unreachable")) } else { Ok(()) });
        let workers = start_workers(&store, registry, false);
        store.push(job(5)).await.unwrap();
        eventually(Duration::from_secs(20), "the third run", async || probe.count() == 3).await;
        let gaps = probe.gaps();
        assert!(gaps[0] >= Duration::from_millis(200), "{backend:?}: first wait {gaps:?}");
        assert!(gaps[1] >= Duration::from_millis(400), "{backend:?}: second wait doubles {gaps:?}");
        // (Not `gaps[1] > gaps[0]`: on a loaded machine the first wait can overrun by more
        // than the second; the floors above are what the policy promises.)
        eventually(Duration::from_secs(30), "the queue to drain", async || idle(&store).await).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(probe.count(), 3, "{backend:?}: no run after the success");
        assert!(store.overview(10).await.unwrap().dead.is_empty(), "{backend:?}");
        workers.stop().await;
    }
}

#[actix_web::test]
async fn a_permanent_failure_goes_straight_to_dead_with_its_error() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(5, 100))]));
        let (probe, registry) = Probe::registry(|_| Err(JobError::permanent("queued mail 42 does not exist")));
        let workers = start_workers(&store, registry, false);
        store.push(job(5)).await.unwrap();
        eventually(Duration::from_secs(20), "the job to be dead", async || {
            !store.overview(10).await.unwrap().dead.is_empty()
        })
        .await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(probe.count(), 1, "{backend:?}: never retried");
        let overview = store.overview(10).await.unwrap();
        let dead = &overview.dead[0];
        assert_eq!(dead.queue, QUEUE);
        assert!(dead.error.as_deref().unwrap_or_default().contains("queued mail 42 does not exist"), "{dead:?}");
        let depth = overview.queues.iter().find(|q| q.queue == QUEUE).unwrap();
        assert_eq!((depth.waiting, depth.running, depth.dead), (0, 0, 1), "{backend:?}");
        workers.stop().await;
    }
}

#[actix_web::test]
async fn exhausted_attempts_end_dead_with_the_last_error_kept() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(3, 100))]));
        let (probe, registry) = Probe::registry(|n| Err(JobError::Retryable(format!("connection refused (run {n})"))));
        let workers = start_workers(&store, registry, false);
        store.push(job(3)).await.unwrap();
        eventually(Duration::from_secs(20), "the job to be dead", async || {
            !store.overview(10).await.unwrap().dead.is_empty()
        })
        .await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(probe.count(), 3, "{backend:?}: exactly max_attempts runs");
        let overview = store.overview(10).await.unwrap();
        let error = overview.dead[0].error.clone().unwrap_or_default();
        assert!(error.contains("gave up after 3 attempts") && error.contains("connection refused (run 3)"), "{error}");
        if backend == Backend::Database {
            assert_eq!(overview.recent_failures.len(), 1);
            assert_eq!(overview.dead[0].attempts, 3);
        }
        workers.stop().await;
    }
}

/// Pruning finished jobs (the `cleanup` step) on every storage: jobs done before the cutoff go,
/// dead jobs stay with their error.
#[actix_web::test]
async fn pruning_finished_jobs_deletes_done_ones_and_keeps_dead_ones() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(1, 10))]));
        let (probe, registry) =
            Probe::registry(|n| if n == 1 { Ok(()) } else { Err(JobError::permanent("bad payload")) });
        let workers = start_workers(&store, registry, false);
        store.push(job(1)).await.unwrap();
        eventually(Duration::from_secs(20), "the first job to finish", async || {
            idle(&store).await && probe.count() == 1
        })
        .await;
        store.push(job(1)).await.unwrap();
        eventually(Duration::from_secs(20), "the second job to be dead", async || {
            !store.overview(10).await.unwrap().dead.is_empty()
        })
        .await;
        workers.stop().await;

        let now = chrono::Utc::now().timestamp();
        assert_eq!(store.prune_finished(now - 3600).await.unwrap(), 0, "{backend:?}: nothing is that old");
        assert_eq!(store.prune_finished(now + 10).await.unwrap(), 1, "{backend:?}: the done job goes");
        assert_eq!(store.prune_finished(now + 10).await.unwrap(), 0, "{backend:?}: idempotent");
        let overview = store.overview(10).await.unwrap();
        assert_eq!(overview.dead.len(), 1, "{backend:?}: the dead job stays");
        assert!(overview.dead[0].error.as_deref().unwrap_or_default().contains("bad payload"), "{overview:?}");
    }
}

/// A worker stopped while a failed job waits for its retry gives the job back: staff see it
/// among the recent failures, not among the dead, on every storage.
#[actix_web::test]
async fn a_job_given_back_mid_backoff_is_a_recent_failure_but_not_dead() {
    let app = spawn_app().await;
    for backend in backends() {
        let store = store(&app, settings(backend, &[(QUEUE, quick_retry(3, 60_000))]));
        let (probe, registry) = Probe::registry(|_| Err(JobError::Retryable("upstream timed out".into())));
        let workers = start_workers(&store, registry, false);
        store.push(job(3)).await.unwrap();
        eventually(Duration::from_secs(20), "the first run", async || probe.count() == 1).await;
        workers.stop().await;
        let overview = store.overview(10).await.unwrap();
        assert!(overview.dead.is_empty(), "{backend:?}: {overview:?}");
        assert_eq!(overview.recent_failures.len(), 1, "{backend:?}: {overview:?}");
        let failure = &overview.recent_failures[0];
        assert!(!failure.dead);
        assert!(failure.error.as_deref().unwrap_or_default().contains("upstream timed out"), "{failure:?}");
    }
}
