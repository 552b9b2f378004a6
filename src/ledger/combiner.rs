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

use super::command::LedgerError;
use super::commit::{Job, LedgerStore};

type Answer = Result<Committed<LedgerStore>, LedgerError>;

struct Pending {
    job: Job,
    reply: oneshot::Sender<Answer>,
}

#[derive(Clone)]
pub struct Combiner {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Combiner {
    /// Starts `committers` tasks on the current actix system, committing through `store`.
    pub fn start(store: LedgerStore, committers: usize, max_jobs: usize) -> Self {
        let (queue, ready) = mpsc::unbounded_channel();
        let ready = Arc::new(Mutex::new(ready));
        for _ in 0..committers.max(1) {
            actix_web::rt::spawn(commit_ready(store.clone(), ready.clone(), max_jobs.max(1)));
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
    // A second batch of an account already in the group waits for the next transaction (an
    // actor has one batch in flight, but a restarted actor may overlap its predecessor's).
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
        let mut accounts = HashSet::new();
        let (group, again): (Vec<Pending>, Vec<Pending>) =
            group.into_iter().partition(|pending| accounts.insert(pending.job.account));
        carried = again;
        commit_group(&store, group).await;
    }
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
