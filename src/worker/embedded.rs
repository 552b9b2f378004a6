//! The workers inside `tresor serve` (`[jobs] embedded = true`, the default): on an actix
//! `Arbiter` of their own, so a slow job never holds up a request thread.

use std::time::Duration;

use actix::Arbiter;
use tokio::sync::oneshot;
use tresor_jobs::worker::Plan;

use super::Handlers;

pub struct Embedded {
    arbiter: Arbiter,
    stop: oneshot::Sender<()>,
    done: oneshot::Receiver<()>,
    grace: Duration,
}

/// Starts every queue's worker and the schedules, unless they run elsewhere.
pub fn start(state: &Handlers) -> anyhow::Result<Option<Embedded>> {
    if !state.config.settings.jobs.embedded {
        return Ok(None);
    }
    let registry = super::registry(state)?;
    let store = state.jobs.clone();
    let grace = store.settings().shutdown_timeout + Duration::from_secs(5);
    let (stop, stop_rx) = oneshot::channel::<()>();
    let (done_tx, done) = oneshot::channel::<()>();
    let arbiter = Arbiter::new();
    let plan = Plan { queues: Vec::new(), schedules: true };
    let spawned = arbiter.spawn(async move {
        let stop = async {
            let _ = stop_rx.await;
        };
        if let Err(error) = tresor_jobs::worker::run(store, registry, plan, stop).await {
            tracing::error!(error = %error, "embedded job workers stopped with an error");
        }
        let _ = done_tx.send(());
    });
    anyhow::ensure!(spawned, "the job workers' arbiter is not running");
    Ok(Some(Embedded { arbiter, stop, done, grace }))
}

impl Embedded {
    /// Stops taking jobs, lets in-flight ones finish (up to the shutdown timeout), then ends
    /// the arbiter.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(self.grace, self.done).await.is_err() {
            tracing::warn!("job workers did not stop in time; their jobs will run again elsewhere");
        }
        self.arbiter.stop();
    }
}
