//! The actor machinery against a small in-memory store (this crate knows no database; the
//! application's tests run the same actors on SQLite and PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tresor_actors::{AccountActor, AccountStore, Committed, Execute, Registry, Shards, Tuning};

#[derive(Clone, Default)]
struct Counter {
    balance: Arc<Mutex<i64>>,
    commits: Arc<AtomicUsize>,
    largest_batch: Arc<AtomicUsize>,
}

#[derive(Debug)]
enum Command {
    Add(i64),
    Take(i64),
    Crash,
}

impl AccountStore for Counter {
    type Key = u32;
    type Command = Command;
    type Outcome = i64;
    type Error = String;
    type Snapshot = i64;

    fn commit(
        &self,
        _key: u32,
        _cached: Option<i64>,
        batch: Vec<Command>,
    ) -> BoxFuture<'static, Result<Committed<Self>, String>> {
        let store = self.clone();
        Box::pin(async move {
            actix_rt::time::sleep(Duration::from_millis(2)).await; // the database round trip
            if batch.iter().any(|c| matches!(c, Command::Crash)) {
                panic!("store crashed mid-batch");
            }
            store.commits.fetch_add(1, Ordering::SeqCst);
            store.largest_batch.fetch_max(batch.len(), Ordering::SeqCst);
            let mut balance = store.balance.lock().unwrap();
            let outcomes = batch
                .into_iter()
                .map(|command| match command {
                    Command::Add(n) => {
                        *balance += n;
                        Ok(*balance)
                    }
                    Command::Take(n) if *balance >= n => {
                        *balance -= n;
                        Ok(*balance)
                    }
                    Command::Take(_) => Err("insufficient".to_owned()),
                    Command::Crash => unreachable!(),
                })
                .collect();
            Ok(Committed { snapshot: Some(*balance), outcomes })
        })
    }

    fn actor_gone() -> String {
        "actor gone".to_owned()
    }
}

fn registry(store: &Counter, idle: Duration) -> Registry<u32, AccountActor<Counter>> {
    let store = store.clone();
    let tuning = Tuning { max_batch: 64, idle_timeout: idle };
    Registry::new(Arc::new(Shards::start(2)), move |key| AccountActor::new(*key, store.clone(), tuning))
}

#[actix_rt::test]
async fn concurrent_commands_are_committed_in_batches_each_caller_getting_its_outcome() {
    let store = Counter::default();
    let registry = registry(&store, Duration::from_secs(60));
    let addr = registry.get(&1);
    let adds = (0..300).map(|_| addr.send(Execute(Command::Add(1))));
    let results = futures::future::join_all(adds).await;
    assert!(results.into_iter().all(|r| r.unwrap().is_ok()));
    assert_eq!(*store.balance.lock().unwrap(), 300);
    let commits = store.commits.load(Ordering::SeqCst);
    assert!(commits < 300, "group commit: {commits} commits for 300 commands");
    assert!(store.largest_batch.load(Ordering::SeqCst) <= 64, "batches are capped");

    // In one batch, each command is checked against the running balance.
    let takes = (0..5).map(|_| addr.send(Execute(Command::Take(100))));
    let outcomes: Vec<_> = futures::future::join_all(takes).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3);
    assert_eq!(outcomes.iter().filter(|o| o.as_ref().err().map(String::as_str) == Some("insufficient")).count(), 2);
    assert_eq!(*store.balance.lock().unwrap(), 0);
}

#[actix_rt::test]
async fn one_actor_per_key_and_idle_actors_stop_and_restart_on_use() {
    let store = Counter::default();
    let registry = registry(&store, Duration::from_millis(50));
    let first = registry.get(&7);
    assert_eq!(first, registry.get(&7), "the same key reaches the same actor");
    first.send(Execute(Command::Add(5))).await.unwrap().unwrap();
    registry.get(&8);
    assert_eq!(registry.live(), 2);

    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(registry.live(), 0, "idle actors passivated");
    assert_eq!(registry.prune(), 2);

    let again = registry.get(&7);
    assert_eq!(again.send(Execute(Command::Add(1))).await.unwrap(), Ok(6), "state lives in the store");
}

#[actix_rt::test]
async fn a_crashed_actor_fails_its_callers_and_is_restarted_on_next_use() {
    let store = Counter::default();
    let registry = registry(&store, Duration::from_secs(60));
    let addr = registry.get(&3);
    addr.send(Execute(Command::Add(10))).await.unwrap().unwrap();

    let crash = addr.send(Execute(Command::Crash)).await;
    let failed = crash.is_err() || matches!(crash, Ok(Err(ref e)) if e == "actor gone");
    assert!(failed, "the caller is told: {crash:?}");
    actix_rt::time::sleep(Duration::from_millis(20)).await;
    assert!(!addr.connected(), "the crashed actor is gone");

    let restarted = registry.get(&3);
    assert!(restarted.connected());
    assert_eq!(restarted.send(Execute(Command::Add(1))).await.unwrap(), Ok(11), "nothing of the crashed batch stuck");
}
