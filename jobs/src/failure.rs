//! The failure rules, owned by one tower layer that sits between apalis's persistence layer and
//! its lifecycle layer.
//!
//! Why here and not in the storage: apalis 1.0's storages do not delay retries. SQLite and
//! PostgreSQL fetch a `Failed` job again on the very next poll (its `run_at` is never moved),
//! a `RetryAfterError` leaves a SQLite row locked for good, and Redis reschedules after a fixed
//! `attempt` seconds up to a hard-coded 25 attempts. The only place that gives the same
//! exponential backoff with jitter on all three is the worker itself. So this layer owns
//! retries, and every job is stored with `max_attempts` equal to the policy's, so the storage
//! never retries on its own; it only hands a job to another worker when the one running it
//! died (heartbeat timeout) or stopped mid-backoff, and those attempts count too.
//!
//! Outcomes: success → `Done`. A permanent error, or a retryable one on the last attempt →
//! `Killed` with the error kept (a *dead* job: never run again, never dropped). A retryable
//! error with attempts left → wait `base·2^(n-1)` (capped, plus up to `jitter` of it at random)
//! and run again in place.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use apalis_core::error::{AbortError, BoxDynError};
use apalis_core::task::Task;
use apalis_core::task::status::Status;
use apalis_core::worker::context::WorkerContext;
use futures::future::BoxFuture;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::JobError;
use crate::metrics;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Runs in total, the first one included.
    pub max_attempts: usize,
    pub base: Duration,
    pub max: Duration,
    /// Up to this fraction of the delay is added at random, so retries of many jobs that
    /// failed together (a mail server restart) do not arrive together.
    pub jitter: f64,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based), jitter included.
    pub fn delay(&self, attempt: usize) -> Duration {
        let base = self.delay_without_jitter(attempt);
        let jitter = self.jitter.clamp(0.0, 1.0) * rand::random::<f64>();
        base + base.mul_f64(jitter)
    }

    pub fn delay_without_jitter(&self, attempt: usize) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX).min(30);
        self.base.saturating_mul(1_u32 << doublings).min(self.max)
    }
}

#[derive(Clone, Debug)]
pub struct FailureLayer {
    queue: Arc<str>,
    policy: RetryPolicy,
}

impl FailureLayer {
    pub fn new(queue: &str, policy: RetryPolicy) -> Self {
        Self { queue: Arc::from(queue), policy }
    }
}

impl<S> Layer<S> for FailureLayer {
    type Service = FailureService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FailureService { inner, queue: self.queue.clone(), policy: self.policy }
    }
}

#[derive(Clone, Debug)]
pub struct FailureService<S> {
    inner: S,
    queue: Arc<str>,
    policy: RetryPolicy,
}

impl<S, Args, Res> Service<Task<Args>> for FailureService<S>
where
    S: Service<Task<Args>, Response = Res, Error = BoxDynError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    Args: Clone + Send + Sync + 'static,
    Res: Send + 'static,
{
    type Response = Res;
    type Error = BoxDynError;
    type Future = BoxFuture<'static, Result<Res, BoxDynError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        // The service that was made ready runs this task; a clone takes its place.
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        Box::pin(run(inner, task, self.queue.clone(), self.policy))
    }
}

async fn run<S, Args, Res>(
    mut inner: S,
    task: Task<Args>,
    queue: Arc<str>,
    policy: RetryPolicy,
) -> Result<Res, BoxDynError>
where
    S: Service<Task<Args>, Response = Res, Error = BoxDynError>,
    Args: Clone,
{
    let worker = task.ctx().data().get::<WorkerContext>().cloned();
    let task_id = task.ctx().task_id().map(ToString::to_string).unwrap_or_default();
    if task.ctx().attempt() >= policy.max_attempts {
        // Its earlier attempts died with their workers (crash, kill -9): a job that keeps
        // killing workers must stop somewhere.
        let error = JobError::Permanent(format!("{} attempts started and none finished", task.ctx().attempt()));
        return Err(dead(&task, &queue, &task_id, error));
    }
    loop {
        let started = Instant::now();
        let outcome = inner.call(task.clone()).await;
        metrics::attempt_finished(&queue, started.elapsed(), outcome.is_ok());
        let error = match outcome {
            Ok(response) => return Ok(response),
            Err(error) => error,
        };
        let attempt = task.ctx().attempt();
        let permanent = error.downcast_ref::<JobError>().is_some_and(JobError::is_permanent)
            || error.downcast_ref::<AbortError>().is_some();
        if permanent {
            return Err(dead(&task, &queue, &task_id, JobError::Permanent(error.to_string())));
        }
        if attempt >= policy.max_attempts {
            let error = JobError::Permanent(format!("gave up after {attempt} attempts: {error}"));
            return Err(dead(&task, &queue, &task_id, error));
        }
        let delay = policy.delay(attempt);
        tracing::warn!(queue = %queue, task_id, attempt, retry_in_ms = delay.as_millis() as u64, error = %error, "job failed; will retry");
        if !wait(delay, worker.as_ref()).await || shutting_down(worker.as_ref()) {
            // Shutting down: leave it `Failed` with attempts left; the storage runs it again
            // when a worker is back.
            return Err(error);
        }
        metrics::retried(&queue);
        futures::future::poll_fn(|cx| inner.poll_ready(cx)).await?;
    }
}

/// Marks the task dead (apalis `Killed`: never fetched again, kept with its error).
fn dead<Args>(task: &Task<Args>, queue: &str, task_id: &str, error: JobError) -> BoxDynError {
    task.ctx().raw_status().store(Status::Killed);
    metrics::dead(queue);
    tracing::error!(queue, task_id, attempt = task.ctx().attempt(), error = %error, "job is dead");
    Box::new(AbortError::new(error))
}

fn shutting_down(worker: Option<&WorkerContext>) -> bool {
    worker.is_some_and(WorkerContext::is_shutting_down)
}

/// Sleeps for `delay`; returns false early if the worker starts shutting down.
async fn wait(delay: Duration, worker: Option<&WorkerContext>) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        if shutting_down(worker) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        tokio::time::sleep((deadline - now).min(Duration::from_millis(200))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_jitter_only_adds() {
        let policy =
            RetryPolicy { max_attempts: 8, base: Duration::from_secs(1), max: Duration::from_secs(10), jitter: 0.5 };
        let plain: Vec<u64> = (1..=6).map(|n| policy.delay_without_jitter(n).as_secs()).collect();
        assert_eq!(plain, [1, 2, 4, 8, 10, 10]);
        for attempt in 1..=6 {
            let base = policy.delay_without_jitter(attempt);
            let jittered = policy.delay(attempt);
            assert!(jittered >= base && jittered <= base.mul_f64(1.5), "{attempt}: {jittered:?}");
        }
        assert_eq!(policy.delay_without_jitter(usize::MAX), Duration::from_secs(10), "no overflow");
    }
}
