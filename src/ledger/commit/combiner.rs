//! Group commit across accounts. An actor batches its own account's commands; when many accounts
//! are busy at once (transfers spread over many accounts), each actor's batch is small, and one
//! transaction per actor would cost a commit and a dozen statements per transfer. The combiner
//! takes every batch that is ready — from any actor — into one transaction (`LedgerStore::attempt`:
//! rows locked in id order, one statement per table), with `committers` such transactions in
//! flight. A batch that turns out stale in it (another process moved its account, or its cached
//! balance was too low to decide on) is committed again on its own, on fresh data; if the shared
//! transaction fails as a whole, each batch is committed on its own.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::{Mutex, mpsc, oneshot};
use tresor_actors::Committed;
use uuid::Uuid;

use super::{Job, LedgerStore};
use crate::ledger::command::LedgerError;

type Answer = Result<Committed<LedgerStore>, LedgerError>;

/// Most commands in one shared transaction: its largest statement (two postings of eight values
/// per command) then binds 16,384 values, within SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_COMMANDS: usize = 1024;

struct Pending {
    job: Job,
    reply: oneshot::Sender<Answer>,
}

#[derive(Clone)]
pub struct Combiner {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Combiner {
    /// Starts `committers` tasks on the current runtime, committing through `store`.
    pub fn start(store: LedgerStore, committers: usize, max_jobs: usize) -> Self {
        let (queue, ready) = mpsc::unbounded_channel();
        let ready = Arc::new(Mutex::new(ready));
        for _ in 0..committers.max(1) {
            tokio::spawn(commit_ready(store.clone(), ready.clone(), max_jobs.max(1)));
        }
        Self { queue }
    }

    /// Commits `job` together with whatever else is ready; answers its own result.
    pub fn submit(&self, job: Job) -> BoxFuture<'static, Answer> {
        let (reply, answer) = oneshot::channel();
        let sent = self.queue.send(Pending { job, reply });
        Box::pin(async move {
            if sent.is_err() {
                return Err(LedgerError::ActorGone);
            }
            answer.await.unwrap_or(Err(LedgerError::ActorGone))
        })
    }
}

async fn commit_ready(store: LedgerStore, ready: Arc<Mutex<mpsc::UnboundedReceiver<Pending>>>, max_jobs: usize) {
    // What did not fit in the last group goes first into the next.
    let mut carried: Vec<Pending> = Vec::new();
    loop {
        let mut group = std::mem::take(&mut carried);
        {
            let mut ready = ready.lock().await;
            if group.is_empty() {
                match ready.recv().await {
                    Some(pending) => group.push(pending),
                    None => return,
                }
            }
            while group.len() < max_jobs {
                match ready.try_recv() {
                    Ok(pending) => group.push(pending),
                    Err(_) => break,
                }
            }
        }
        let (group, again) = admit(group, |pending| (pending.job.account, pending.job.batch.len()));
        carried = again;
        commit_group(&store, group).await;
    }
}

/// Splits what is ready into this transaction's group and what waits for the next: an account
/// at most once (an actor has one batch in flight, but a restarted actor may overlap its
/// predecessor's), and at most `MAX_COMMANDS` commands unless one batch alone is larger (so
/// every multi-row statement stays within both engines' limit on bound values).
fn admit<T>(ready: Vec<T>, of: impl Fn(&T) -> (Uuid, usize)) -> (Vec<T>, Vec<T>) {
    let mut accounts = HashSet::new();
    let mut commands = 0;
    let (mut group, mut again) = (Vec::new(), Vec::new());
    for item in ready {
        let (account, size) = of(&item);
        let fits = group.is_empty() || commands + size <= MAX_COMMANDS;
        if fits && !accounts.contains(&account) {
            accounts.insert(account);
            commands += size;
            group.push(item);
        } else {
            again.push(item);
        }
    }
    (group, again)
}

async fn commit_group(store: &LedgerStore, group: Vec<Pending>) {
    metrics::histogram!("ledger_combined_batches").record(group.len() as f64);
    let (jobs, replies): (Vec<Job>, Vec<oneshot::Sender<Answer>>) =
        group.into_iter().map(|pending| (pending.job, pending.reply)).unzip();
    let alone: Vec<(Job, oneshot::Sender<Answer>)> = match store.attempt(&jobs).await {
        Ok(results) => {
            let mut alone = Vec::new();
            for ((job, reply), result) in jobs.into_iter().zip(replies).zip(results) {
                match result {
                    Some(committed) => {
                        let _ = reply.send(Ok(committed));
                    }
                    None => alone.push((job, reply)),
                }
            }
            alone
        }
        Err(_) => {
            metrics::counter!("ledger_combined_failures_total").increment(1);
            jobs.into_iter().zip(replies).collect()
        }
    };
    let retries = alone.into_iter().map(|(job, reply)| async move {
        let _ = reply.send(store.commit_batch(job.account, None, job.batch).await);
    });
    futures::future::join_all(retries).await;
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{MAX_COMMANDS, admit};

    #[test]
    fn a_group_takes_each_account_once_and_stays_under_the_command_cap() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let ready = vec![(a, 600), (b, 600), (c, 10), (a, 1)];
        let (group, again) = admit(ready, |item| *item);
        assert_eq!(group, [(a, 600), (c, 10)], "b does not fit, a's second batch waits");
        assert_eq!(again, [(b, 600), (a, 1)]);
        let (group, again) = admit(again, |item| *item);
        assert_eq!((group, again), (vec![(b, 600), (a, 1)], vec![]));
        let (group, _) = admit(vec![(a, MAX_COMMANDS * 2)], |item| *item);
        assert_eq!(group.len(), 1, "a batch larger than the cap still goes, alone");
    }
}
