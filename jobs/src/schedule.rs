//! Cron: every worker process runs the schedules (apalis-cron fires on every instance), and
//! each tick becomes a job whose id and idempotency key derive from the tick time and the
//! queue. The second instance's enqueue of the same tick is a no-op, so a tick runs once however
//! many schedulers are up.

use std::str::FromStr;

use apalis_cron::CronScheduler;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::job::Tick;
use crate::settings::Schedule;
use crate::store::{NewJob, Store};

#[derive(Debug, thiserror::Error)]
#[error("schedule of {queue}: {cron:?} is not a cron expression ({reason})")]
pub struct ScheduleError {
    pub queue: &'static str,
    pub cron: String,
    pub reason: String,
}

pub fn parse(schedule: &Schedule) -> Result<cron::Schedule, ScheduleError> {
    cron::Schedule::from_str(&schedule.cron).map_err(|e| ScheduleError {
        queue: schedule.queue,
        cron: schedule.cron.clone(),
        reason: e.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
    })
}

/// The job of `queue`'s tick at `at` (Unix seconds): the same on every instance.
pub fn tick_job(queue: &'static str, at: i64, max_attempts: usize) -> NewJob {
    let digest = Sha256::digest(queue.as_bytes());
    let mut random = [0_u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at).unwrap_or(0).saturating_mul(1000);
    NewJob {
        queue,
        payload: serde_json::json!(Tick { at }),
        key: Some(format!("tick:{at}")),
        id: Some(ulid::Ulid::from_parts(millis, u128::from_be_bytes(random)).0),
        run_at: None,
        max_attempts,
    }
}

/// Runs every schedule until `stop` turns true.
pub async fn run(store: Store, stop: watch::Receiver<bool>) -> Result<(), ScheduleError> {
    let schedules = store.settings().schedules.clone();
    let mut parsed = Vec::new();
    for schedule in &schedules {
        parsed.push((schedule.queue, parse(schedule)?));
    }
    let runs = parsed.into_iter().map(|(queue, cron)| one(store.clone(), queue, cron, stop.clone()));
    futures::future::join_all(runs).await;
    Ok(())
}

async fn one(store: Store, queue: &'static str, cron: cron::Schedule, mut stop: watch::Receiver<bool>) {
    let max_attempts = store.settings().queue(queue).map_or(1, |q| q.retry.max_attempts);
    let mut ticks = Box::pin(CronScheduler::new(cron).into_stream());
    loop {
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = stop.changed() => {}
            tick = ticks.next() => match tick {
                None => return,
                Some(Err(error)) => tracing::warn!(queue, error = %error, "cron tick skipped"),
                Some(Ok(tick)) => {
                    let at = i64::try_from(tick.get_timestamp()).unwrap_or(i64::MAX);
                    match store.push(tick_job(queue, at, max_attempts)).await {
                        Ok(true) => tracing::debug!(queue, at, "cron tick enqueued"),
                        Ok(false) => tracing::debug!(queue, at, "cron tick already enqueued by another scheduler"),
                        Err(error) => tracing::warn!(queue, at, error = %error, "cron tick could not be enqueued"),
                    }
                }
            }
        }
    }
}
