//! The turn at SQLite's single write lock among this process's writers.
//!
//! SQLite lets one connection write at a time; connections of one process that meet a held
//! lock wait in SQLite's busy handler, which sleeps with a back-off of up to 100 ms between
//! tries and is not fair: a writer that commits and starts again at once can keep the lock
//! from a sleeping one for seconds. The job queue's writers in one process — its enqueues
//! through the application's writer and the workers' fetches, acknowledgements and
//! heartbeats — take a [`WriteGate`] turn first instead: a first-in, first-out queue in
//! memory, so in this process only one of them asks SQLite for the lock at a time.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One database's queue of writers in this process; clones share the queue.
#[derive(Clone, Debug)]
pub struct WriteGate(Arc<Semaphore>);

/// A writer's turn; the next waiter's begins when it is dropped.
#[derive(Debug)]
pub struct Turn {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Default for WriteGate {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(1)))
    }
}

impl WriteGate {
    /// Waits for this writer's turn (in order of asking).
    pub async fn turn(&self) -> Turn {
        // The semaphore is never closed, so acquiring only fails in theory; going ahead
        // without a turn then is what happened before there were turns.
        Turn { _permit: Arc::clone(&self.0).acquire_owned().await.ok() }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn turns_go_in_order_of_asking() {
        let gate = WriteGate::default();
        let first = gate.turn().await;
        let order: Arc<std::sync::Mutex<Vec<u32>>> = Arc::default();
        let mut waiting = Vec::new();
        for n in 0..3 {
            let (gate, order) = (gate.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = gate.turn().await;
                order.lock().map(|mut o| o.push(n)).ok();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            tokio::task::yield_now().await;
        }
        drop(first);
        for task in waiting {
            assert!(task.await.is_ok());
        }
        assert_eq!(*order.lock().unwrap_or_else(|e| e.into_inner()), vec![0, 1, 2]);
    }
}
