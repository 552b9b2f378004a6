//! In-process wake-ups: a job enqueued by this process wakes this process's idle worker of its
//! queue at once (after the enqueueing transaction commits), instead of at its next poll. This
//! is what the embedded default (`tresor serve` on SQLite, workers in-process) runs on; other
//! processes' workers still find the job at their next poll, or through PostgreSQL's
//! `LISTEN/NOTIFY`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

/// The wake-up of each queue that has a worker in this process. Held weakly: a queue whose
/// workers stopped is nudged no more.
#[derive(Debug, Default)]
pub struct Nudges(Mutex<HashMap<&'static str, Weak<Notify>>>);

impl Nudges {
    /// The wake-up a worker of `queue` waits on (the same one for every worker of the queue).
    pub fn of(&self, queue: &'static str) -> Arc<Notify> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(live) = map.get(queue).and_then(Weak::upgrade) {
            return live;
        }
        let notify = Arc::new(Notify::new());
        map.insert(queue, Arc::downgrade(&notify));
        notify
    }

    /// Wakes the worker of `queue`, if this process runs one.
    pub fn nudge(&self, queue: &str) {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(notify) = map.get(queue).and_then(Weak::upgrade) {
            notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_nudge_reaches_the_worker_of_its_queue_only() {
        let nudges = Nudges::default();
        let (mail, scans) = (nudges.of("send_email"), nudges.of("scan_document"));
        assert!(Arc::ptr_eq(&mail, &nudges.of("send_email")), "one wake-up per queue");
        nudges.nudge("send_email");
        tokio::time::timeout(std::time::Duration::from_secs(1), mail.notified()).await.expect("woken");
        let unwoken = tokio::time::timeout(std::time::Duration::from_millis(50), scans.notified()).await;
        assert!(unwoken.is_err(), "another queue's worker sleeps on");
        drop(mail);
        nudges.nudge("send_email"); // nobody listens any more: nothing happens
    }
}
