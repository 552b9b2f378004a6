//! Committing account batches — the database side of the account actors, and the place where
//! correctness is enforced. One transaction carries one account's batch, or the ready batches
//! of several accounts (see `combiner`):
//!
//! - every row the transaction touches is locked first, in ascending id order (PostgreSQL), so
//!   crossing transfers cannot deadlock;
//! - each debited account moves with a conditional update (`version` unchanged and the balance
//!   stays ≥ 0); if another process debited it meanwhile, the update matches no row and that
//!   batch writes nothing and is decided again on fresh data;
//! - credits (deposits, incoming transfers) add to the row without bumping `version`, so they
//!   never invalidate another actor's cache; a cached balance is only ever too low, and a refusal
//!   for lack of funds is re-decided on a fresh read;
//! - entries, postings, idempotency records, mail and staged audit entries go in with the
//!   balances, in the same transaction.

mod attempt;
mod combiner;

use futures::future::BoxFuture;
use tresor_actors::{AccountStore, Committed};
use uuid::Uuid;

use self::combiner::Combiner;
use super::command::{Command, LedgerError, Outcome};
use super::plan::Snapshot;
use super::retry::Retry;
use crate::config::LedgerSettings;
use crate::db::Db;
use crate::read_cache::Changes;

const ATTEMPTS: usize = 5;

/// The account actors' store.
#[derive(Clone)]
pub struct LedgerStore {
    pub db: Db,
    pub limits: LedgerSettings,
    pub keys: std::sync::Arc<crate::crypto::Keys>,
    /// Commits ready batches of many accounts together (`[ledger] committers`); without it,
    /// each actor's batch is its own transaction.
    combiner: Option<Combiner>,
    /// Where the recipients' mails are enqueued right after a batch commits (the sweeper sends
    /// any that this misses); none: the sweeper alone.
    mail_queue: Option<tresor_jobs::Store>,
    /// Where a commit announces the accounts it moved, for cached reads of them.
    reads: std::sync::Arc<Changes>,
}

impl AccountStore for LedgerStore {
    type Key = Uuid;
    type Command = Command;
    type Outcome = Outcome;
    type Error = LedgerError;
    type Snapshot = Snapshot;

    fn commit(
        &self,
        account: Uuid,
        cached: Option<Snapshot>,
        batch: Vec<Command>,
    ) -> BoxFuture<'static, Result<Committed<Self>, LedgerError>> {
        metrics::histogram!("ledger_group_commit_size").record(batch.len() as f64);
        if let Some(combiner) = &self.combiner {
            return combiner.submit(Job { account, cached, batch });
        }
        let store = self.clone();
        Box::pin(async move { store.commit_batch(account, cached, batch).await })
    }

    fn actor_gone() -> LedgerError {
        LedgerError::ActorGone
    }
}

/// One account's batch, as its actor hands it over.
pub struct Job {
    pub account: Uuid,
    /// The actor's snapshot from its last commit; `None` reads the account afresh.
    pub cached: Option<Snapshot>,
    pub batch: Vec<Command>,
}

impl LedgerStore {
    /// A store whose actors each commit their own batches.
    pub fn new(
        db: Db,
        limits: LedgerSettings,
        keys: std::sync::Arc<crate::crypto::Keys>,
        reads: std::sync::Arc<Changes>,
    ) -> Self {
        Self { db, limits, keys, combiner: None, mail_queue: None, reads }
    }

    /// A store whose actors' ready batches are committed together by `committers` tasks on the
    /// current actix system (see `combiner`).
    pub fn combined(
        db: Db,
        limits: LedgerSettings,
        keys: std::sync::Arc<crate::crypto::Keys>,
        reads: std::sync::Arc<Changes>,
        mail_queue: Option<tresor_jobs::Store>,
    ) -> Self {
        let alone = Self { mail_queue, ..Self::new(db, limits, keys, reads) };
        if alone.limits.committers == 0 {
            return alone;
        }
        let combiner = Combiner::start(alone.clone(), alone.limits.committers, alone.limits.combine_max);
        Self { combiner: Some(combiner), ..alone }
    }

    /// Call after committing a change to what `ids` (accounts, or a user whose accounts were
    /// opened) show: cached reads of them are not served again.
    pub(in crate::ledger) async fn changed(&self, ids: &[Uuid]) {
        self.reads.changed(ids).await;
    }

    /// Enqueues `send_email` for the mails a committed batch queued, as one job (or a few for a
    /// large batch), in the background (the batch's callers are answered meanwhile; a failure
    /// leaves them to the sweeper).
    pub(super) fn mail_now(&self, mails: Vec<Uuid>) {
        let Some(queue) = self.mail_queue.clone().filter(|_| !mails.is_empty()) else { return };
        tokio::spawn(async move {
            let jobs: Result<Vec<_>, _> =
                tresor_jobs::SendEmail::batches(&mails).iter().map(|job| queue.job(job)).collect();
            let pushed = match jobs {
                Ok(jobs) => queue.push_many(&jobs).await.map(|_| ()),
                Err(error) => Err(error),
            };
            if let Err(error) = pushed {
                tracing::warn!(error = %error, "transfer mails not enqueued; the sweeper will send them");
            }
        });
    }

    /// Commits one account's batch, deciding it again on fresh data while it is stale.
    #[tracing::instrument(skip_all, fields(%account, commands = batch.len()))]
    pub(super) async fn commit_batch(
        &self,
        account: Uuid,
        cached: Option<Snapshot>,
        batch: Vec<Command>,
    ) -> Result<Committed<Self>, LedgerError> {
        let mut job = Job { account, cached, batch };
        for _ in 0..ATTEMPTS {
            match self.attempt(std::slice::from_ref(&job)).await {
                Ok(mut results) => match results.pop().flatten() {
                    Some(committed) => return Ok(committed),
                    None => job.cached = None,
                },
                Err(Retry::Stale) => job.cached = None,
                Err(Retry::Failed(error)) => return Err(error),
            }
            metrics::counter!("ledger_stale_retries_total").increment(1);
        }
        Err(LedgerError::Contended)
    }

    /// The baseline the actors are measured against: one transaction per request that locks
    /// its rows up front (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
    /// holds the write lock), with no actor, no cache and no batching.
    #[tracing::instrument(skip_all, fields(%account))]
    pub async fn commit_locked(&self, account: Uuid, command: Command) -> Result<Outcome, LedgerError> {
        let mut committed = self.commit_batch(account, None, vec![command]).await?;
        committed.outcomes.pop().unwrap_or(Err(LedgerError::Contended))
    }
}
