//! Two workers with two cron schedulers up at once: each tick runs once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tresor_jobs::Tick;
use tresor_jobs::settings::Schedule;
use tresor_jobs::worker::Registry;

use crate::support::jobs::{backends, eventually, quick_retry, settings, start_workers, store};
use crate::support::spawn_app;

#[actix_web::test]
async fn with_two_schedulers_up_each_cron_tick_runs_once() {
    let app = spawn_app().await;
    for backend in backends() {
        let mut settings = settings(backend, &[("ticker", quick_retry(3, 100))]);
        settings.schedules = vec![Schedule { queue: "ticker", cron: "* * * * * *".into() }];
        let ticks: Arc<Mutex<BTreeMap<i64, usize>>> = Arc::default();
        let registry = || {
            let ticks = ticks.clone();
            Registry::new().with(
                "ticker",
                Arc::new(move |payload, _attempt| {
                    let tick: Tick = serde_json::from_value(payload).unwrap();
                    *ticks.lock().unwrap().entry(tick.at).or_default() += 1;
                    Box::pin(async { Ok(()) })
                }),
            )
        };
        // Two independent worker instances (separate monitors, pools and names) on one store.
        let (a, b) = (store(&app, settings.clone()), store(&app, settings.clone()));
        let first = start_workers(&a, registry(), true);
        let second = start_workers(&b, registry(), true);
        // At least three ticks (a loaded machine may take longer than three seconds to run them).
        eventually(Duration::from_secs(30), "three ticks to run", async || ticks.lock().unwrap().len() >= 3).await;
        first.stop().await;
        second.stop().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ticks = ticks.lock().unwrap().clone();
        assert!(ticks.len() >= 3, "{backend:?}: ticks ran: {ticks:?}");
        assert!(ticks.values().all(|runs| *runs == 1), "{backend:?}: every tick ran once: {ticks:?}");
    }
}
