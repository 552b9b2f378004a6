//! Memory of live account actors: starts N actors through the registry (each answers one
//! command, so it is surely running) and reports the resident-set growth per actor.
//! `cargo bench -p tresor-actors --bench actor_memory -- 100000`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use tresor_actors::{AccountActor, AccountStore, Committed, Execute, Registry, Shards, Tuning};

/// A store the size of the application's (a few shared handles and settings), committing
/// nothing: this measures the actors, not a database.
#[derive(Clone)]
struct Sized {
    _handles: [Arc<()>; 3],
    _settings: [i64; 8],
}

impl AccountStore for Sized {
    type Key = u128;
    type Command = ();
    type Outcome = ();
    type Error = ();
    type Snapshot = [i64; 5];

    fn commit(&self, _: u128, _: Option<[i64; 5]>, batch: Vec<()>) -> BoxFuture<'static, Result<Committed<Self>, ()>> {
        Box::pin(async move { Ok(Committed { snapshot: Some([0; 5]), outcomes: batch.into_iter().map(Ok).collect() }) })
    }

    fn actor_gone() {}
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let count: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    actix_rt::System::new().block_on(async move {
        let store = Sized { _handles: [Arc::new(()), Arc::new(()), Arc::new(())], _settings: [0; 8] };
        let tuning = Tuning { max_batch: 256, idle_timeout: std::time::Duration::from_secs(3600) };
        let registry = Registry::new(Arc::new(Shards::per_core()), move |key| AccountActor::new(*key, store.clone(), tuning));
        let warm = registry.get(&u128::MAX);
        warm.send(Execute(())).await.unwrap().unwrap();
        let before = rss_kib();
        let started = Instant::now();
        for chunk in (0..count as u128).collect::<Vec<_>>().chunks(10_000) {
            let sends = chunk.iter().map(|key| registry.get(key).send(Execute(())));
            for result in futures::future::join_all(sends).await {
                result.unwrap().unwrap();
            }
        }
        let after = rss_kib();
        let grown = after.saturating_sub(before) as f64 / 1024.0;
        println!(
            "{count} live actors ({} running) started in {:.2?}: resident set grew {grown:.1} MiB, {:.0} bytes per actor",
            registry.live(),
            started.elapsed(),
            grown * 1024.0 * 1024.0 / count as f64
        );
    });
}
