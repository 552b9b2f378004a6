//! The workers inside `tresor serve` (`[jobs] embedded = true`, the default), with the event
//! relay and the webhook deliverer: on an actix `Arbiter` of their own, so a slow job never
//! holds up a request thread.

use std::time::Duration;

use actix::Arbiter;
use tokio::sync::{oneshot, watch};
use tresor_jobs::worker::Plan;

use super::Handlers;

pub struct Embedded {
    arbiter: Arbiter,
    stop: watch::Sender<bool>,
    done: oneshot::Receiver<()>,
    grace: Duration,
}

/// Starts every queue's worker and the schedules, unless they run elsewhere.
pub fn start(state: &Handlers) -> anyhow::Result<Option<Embedded>> {
    if !state.config.settings.jobs.embedded {
        return Ok(None);
    }
    // Built once here so a bad setting fails the start; the arbiter builds its own.
    super::registry(state)?;
    super::relay::Outflow::of(state)?;
    let handlers = state.clone();
    let store = state.jobs.clone();
    let timeout = store.settings().shutdown_timeout;
    let (stop, stop_rx) = watch::channel(false);
    let (done_tx, done) = oneshot::channel::<()>();
    let arbiter = Arbiter::new();
    let plan = Plan { queues: Vec::new(), schedules: true };
    let spawned = arbiter.spawn(async move {
        let mut told = stop_rx.clone();
        let signal = async move {
            let _ = told.wait_for(|stop| *stop).await;
        };
        let mut told = stop_rx;
        // A backstop past the workers' own shutdown timeout: whatever is still running is then
        // dropped here, inside this arbiter's runtime, never by the runtime's teardown (where
        // a pooled connection or the mailer's pool dropping would panic without a reactor).
        let backstop = async move {
            let _ = told.wait_for(|stop| *stop).await;
            tokio::time::sleep(timeout + BACKSTOP).await;
        };
        tokio::select! {
            outcome = super::run(&handlers, plan, signal) => {
                if let Err(error) = outcome {
                    tracing::error!(error = %error, "embedded job workers stopped with an error");
                }
            }
            () = backstop => tracing::warn!("job workers did not stop in time; their jobs will run again elsewhere"),
        }
        let _ = done_tx.send(());
    });
    anyhow::ensure!(spawned, "the job workers' arbiter is not running");
    Ok(Some(Embedded { arbiter, stop, done, grace: timeout + BACKSTOP * 2 }))
}

/// How long past `jobs.shutdown_timeout_secs` the workers are given before they are dropped.
const BACKSTOP: Duration = Duration::from_secs(2);

impl Embedded {
    /// Stops taking jobs, lets in-flight ones finish (up to the shutdown timeout; the rest are
    /// dropped inside the workers' runtime and run again later), then ends the arbiter and
    /// waits for its thread.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(self.grace, self.done).await.is_err() {
            tracing::warn!("job workers did not report stopping; ending their arbiter");
        }
        self.arbiter.stop();
        let arbiter = self.arbiter;
        let _ = tokio::task::spawn_blocking(move || arbiter.join()).await;
    }
}
