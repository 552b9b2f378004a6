//! The account actor: serializes one account's mutations and commits them in batches.
//!
//! While a batch is being committed, new commands queue in `pending`; when the commit finishes,
//! everything that arrived meanwhile (up to `max_batch`) goes into the next transaction. Under
//! load that is group commit with no added latency; when idle it is one command per commit.
//! Each caller gets its own outcome. The actor caches what the store returns (balance, version)
//! and hands it back on the next commit; the store decides whether the cache is still good — the
//! database, not the actor, is the arbiter of correctness.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures::future::BoxFuture;
use tokio::sync::oneshot;

/// The database side of an account actor, implemented by the application.
pub trait AccountStore: Clone + Send + Sync + Unpin + 'static {
    type Key: Clone + Send + Sync + Debug + Unpin + 'static;
    type Command: Send + Unpin + 'static;
    type Outcome: Send + 'static;
    type Error: Clone + Send + Debug + 'static;
    /// What the actor caches between commits (e.g. balance and version).
    type Snapshot: Clone + Send + Unpin + 'static;

    /// Commits `batch` in one transaction, in order. `cached` is the snapshot returned by the
    /// previous commit, if any; the store must treat it as a hint (reload when stale). An `Err`
    /// means nothing was committed and every command of the batch fails with it.
    fn commit(
        &self,
        key: Self::Key,
        cached: Option<Self::Snapshot>,
        batch: Vec<Self::Command>,
    ) -> BoxFuture<'static, Result<Committed<Self>, Self::Error>>;

    /// The error a caller sees when the actor died (panicked) with its command in flight.
    fn actor_gone() -> Self::Error;
}

/// A committed batch: the new snapshot, and one outcome per command, in order.
pub struct Committed<S: AccountStore> {
    pub snapshot: Option<S::Snapshot>,
    pub outcomes: Vec<Result<S::Outcome, S::Error>>,
}

#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    /// Most commands in one transaction.
    pub max_batch: usize,
    /// An actor with nothing to do for this long stops (its registry restarts it on next use).
    pub idle_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self { max_batch: 256, idle_timeout: Duration::from_secs(60) }
    }
}

/// Run one command on the account's actor.
pub struct Execute<S: AccountStore>(pub S::Command);

impl<S: AccountStore> Message for Execute<S> {
    type Result = Result<S::Outcome, S::Error>;
}

type Reply<S> = oneshot::Sender<Result<<S as AccountStore>::Outcome, <S as AccountStore>::Error>>;

pub struct AccountActor<S: AccountStore> {
    key: S::Key,
    store: S,
    tuning: Tuning,
    cached: Option<S::Snapshot>,
    pending: Vec<(S::Command, Reply<S>)>,
    committing: bool,
    last_active: Instant,
}

impl<S: AccountStore> AccountActor<S> {
    pub fn new(key: S::Key, store: S, tuning: Tuning) -> Self {
        Self { key, store, tuning, cached: None, pending: Vec::new(), committing: false, last_active: Instant::now() }
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.committing || self.pending.is_empty() {
            return;
        }
        let take = self.pending.len().min(self.tuning.max_batch.max(1));
        let (commands, replies): (Vec<_>, Vec<_>) = self.pending.drain(..take).unzip();
        self.committing = true;
        let commit = self.store.commit(self.key.clone(), self.cached.clone(), commands);
        ctx.spawn(commit.into_actor(self).map(move |result, actor, ctx| {
            actor.committing = false;
            actor.last_active = Instant::now();
            match result {
                Ok(committed) => {
                    actor.cached = committed.snapshot;
                    for (reply, outcome) in replies.into_iter().zip(committed.outcomes) {
                        let _ = reply.send(outcome);
                    }
                }
                Err(error) => {
                    // Nothing was committed; the cache may be what made it fail.
                    actor.cached = None;
                    for reply in replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
            actor.flush(ctx);
        }));
    }
}

impl<S: AccountStore> Actor for AccountActor<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let check = (self.tuning.idle_timeout / 2).max(Duration::from_millis(10));
        ctx.run_interval(check, |actor, ctx| {
            let idle = !actor.committing && actor.pending.is_empty();
            if idle && actor.last_active.elapsed() >= actor.tuning.idle_timeout {
                tracing::trace!(key = ?actor.key, "account actor passivated");
                ctx.stop();
            }
        });
    }
}

impl<S: AccountStore> Handler<Execute<S>> for AccountActor<S> {
    type Result = ResponseFuture<Result<S::Outcome, S::Error>>;

    fn handle(&mut self, Execute(command): Execute<S>, ctx: &mut Self::Context) -> Self::Result {
        let (reply, outcome) = oneshot::channel();
        self.pending.push((command, reply));
        self.last_active = Instant::now();
        self.flush(ctx);
        Box::pin(async move { outcome.await.unwrap_or_else(|_| Err(S::actor_gone())) })
    }
}
