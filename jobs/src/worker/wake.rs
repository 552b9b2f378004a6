//! When an idle worker looks for jobs again: every poll interval, and at once when a job was
//! enqueued by this process (its commit done) or, on PostgreSQL, by any (`LISTEN/NOTIFY`).
//!
//! apalis's own interval strategy re-creates its timer when it fires but does not poll the new
//! one, so no waker is registered for the next tick: a worker that found nothing slept until
//! some other wake-up — its heartbeat, tens of seconds later. [`Wake`] re-arms the timer in the
//! same call, so an idle worker looks at least once per interval, whatever else happens.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::ext::poll_strategy::{PollSnapshot, PollStrategy};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;
use tokio::time::{Instant, Sleep};

/// The channel apalis-postgres's insert trigger notifies (`apalis.notify_new_jobs`).
const INSERT_CHANNEL: &str = "apalis::job::insert";

/// Wakes a worker every `interval`, and when `nudges` is notified (a job arrived).
pub struct Wake {
    interval: Duration,
    tick: Option<Pin<Box<Sleep>>>,
    nudges: Option<Arc<Notify>>,
    nudged: Option<Pin<Box<OwnedNotified>>>,
}

impl Wake {
    pub fn new(interval: Duration, nudges: Option<Arc<Notify>>) -> Self {
        Self { interval, tick: None, nudges, nudged: None }
    }
}

impl PollStrategy for Wake {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut ready = false;
        if let Some(nudges) = &self.nudges {
            // A notification stores one permit, so this settles within two rounds.
            for _ in 0..3 {
                let nudged = self.nudged.get_or_insert_with(|| Box::pin(Arc::clone(nudges).notified_owned()));
                if nudged.as_mut().poll(cx).is_pending() {
                    break;
                }
                ready = true;
                self.nudged = None;
            }
        }
        let interval = self.interval;
        let tick = self.tick.get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        if tick.as_mut().poll(cx).is_ready() {
            ready = true;
            tick.as_mut().reset(Instant::now() + interval);
            // Registers this task's waker for the next tick (the step apalis's strategy misses).
            let _ = tick.as_mut().poll(cx);
        }
        if ready { Poll::Ready(Some(())) } else { Poll::Pending }
    }
}

#[derive(Deserialize)]
struct Inserted {
    job_type: String,
}

/// One `LISTEN` connection per process for every queue: each insert nudges its queue's
/// workers (`nudges`, the same wake-ups as in-process enqueues use). The listener stops once no
/// worker holds them any more, and reconnects (after a pause) when its connection fails — the
/// interval ticks cover the gap.
pub fn listen(pool: PgPool, nudges: HashMap<&'static str, Arc<Notify>>) {
    tokio::spawn(async move {
        while nudges.values().any(|n| Arc::strong_count(n) > 1) {
            if let Err(error) = relay(&pool, &nudges).await {
                tracing::debug!(error = %error, "job insert listener failed; reconnecting");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn relay(pool: &PgPool, nudges: &HashMap<&'static str, Arc<Notify>>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(INSERT_CHANNEL).await?;
    loop {
        let notification = tokio::select! {
            notification = listener.recv() => notification?,
            () = tokio::time::sleep(Duration::from_secs(5)) => {
                if nudges.values().all(|n| Arc::strong_count(n) == 1) {
                    return Ok(());
                }
                continue;
            }
        };
        let Ok(inserted) = serde_json::from_str::<Inserted>(notification.payload()) else { continue };
        if let Some(nudge) = nudges.get(inserted.job_type.as_str()) {
            nudge.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake as TaskWake;

    use super::*;

    struct Count(AtomicUsize);

    impl TaskWake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// After a tick, the next one is armed: the task is woken again without anyone polling it.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn every_tick_arms_the_next() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wake = Wake::new(Duration::from_millis(100), None);
        let snapshot = PollSnapshot::default();
        assert!(wake.poll_drive(&mut cx, &snapshot).is_pending());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the first tick wakes");
        assert!(wake.poll_drive(&mut cx, &snapshot).is_ready());
        // Nobody polls now; the next tick must still wake the task.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "the re-armed tick wakes without a poll");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_nudge_wakes_before_the_tick() {
        let nudges = Arc::new(Notify::new());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wake = Wake::new(Duration::from_secs(60), Some(nudges.clone()));
        let snapshot = PollSnapshot::default();
        assert!(wake.poll_drive(&mut cx, &snapshot).is_pending());
        nudges.notify_one();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(wake.poll_drive(&mut cx, &snapshot).is_ready());
        assert!(wake.poll_drive(&mut cx, &snapshot).is_pending());
    }
}
