//! The measured load: `concurrency` workers, each sending one transfer after another.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::RngExt;

use crate::client::Api;
use crate::seed::World;
use crate::{Args, Workload};

pub struct Stats {
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    pub statuses: BTreeMap<u16, u64>,
}

pub async fn drive(args: &Args, api: &Api, world: &World, duration: Duration) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let deadline = started + duration;
    // Microseconds, 1 µs to 60 s, 3 significant digits.
    let empty = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let workers = (0..args.concurrency).map(|_| worker(args.workload, api, world, deadline, empty.clone()));
    let results = futures::future::join_all(workers).await;
    let mut latency = empty;
    let mut statuses = BTreeMap::new();
    for (histogram, counts) in results {
        latency.add(histogram)?;
        for (status, count) in counts {
            *statuses.entry(status).or_insert(0) += count;
        }
    }
    Ok(Stats { elapsed: started.elapsed(), latency, statuses })
}

async fn worker(
    workload: Workload,
    api: &Api,
    world: &World,
    deadline: Instant,
    mut latency: Histogram<u64>,
) -> (Histogram<u64>, BTreeMap<u16, u64>) {
    let mut statuses = BTreeMap::new();
    let count = world.accounts.len();
    while Instant::now() < deadline {
        let (from, to) = {
            let mut rng = rand::rng();
            let from = if workload.hot() { 0 } else { rng.random_range(0..count) };
            let mut to = rng.random_range(0..count - 1);
            if to >= from {
                to += 1;
            }
            (from, to)
        };
        let amount = rand::rng().random_range(1..100);
        let source = &world.accounts[from];
        let sent = Instant::now();
        let status = match &source.card {
            Some(card) if workload.cards() => api.authorize(card, amount).await,
            _ => api.transfer(&world.tokens[source.owner], &source.id, &world.accounts[to].number, amount).await,
        };
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _ = latency.record(micros.max(1));
        *statuses.entry(status).or_insert(0) += 1;
    }
    (latency, statuses)
}
