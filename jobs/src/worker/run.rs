//! Running the workers, the schedules and the depth sampler together until told to stop.

use std::time::Duration;

use tokio::sync::watch;

use super::{Plan, Registry, WorkerError, monitor, select_queues};
use crate::schedule;
use crate::store::Store;

/// Runs the workers of `plan` until `stop` resolves, then lets in-flight jobs finish (up to
/// the shutdown timeout) and returns.
pub async fn run(
    store: Store,
    registry: Registry,
    plan: Plan,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    let queues = select_queues(&registry, &plan.queues)?;
    let settings = store.settings().clone();
    for schedule in &settings.schedules {
        schedule::parse(schedule)?;
    }
    let monitor = monitor(&store, &registry, &queues).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tracing::info!(queues = queues.join(","), backend = ?store.backend(), "job workers started");
    let signal = async move {
        stop.await;
        let _ = stop_tx.send(true);
        Ok::<(), std::io::Error>(())
    };
    let workers = monitor.shutdown_timeout(settings.shutdown_timeout).run_with_signal(signal);
    let schedule_stop = stop_rx.clone();
    let schedules = async { if plan.schedules { schedule::run(store.clone(), schedule_stop).await } else { Ok(()) } };
    let sampler = sample_depth(store.clone(), stop_rx);
    let (workers, schedules, ()) = tokio::join!(workers, schedules, sampler);
    schedules?;
    workers.map_err(|e| WorkerError::Monitor(e.to_string()))?;
    tracing::info!("job workers stopped");
    Ok(())
}

/// Keeps the queue-depth gauges current.
async fn sample_depth(store: Store, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(error) = store.overview(0).await {
            tracing::debug!(error = %error, "queue depth sample failed");
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(15)) => {}
        }
    }
}
