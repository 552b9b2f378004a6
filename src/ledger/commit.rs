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

use std::collections::HashMap;

use chrono::Utc;
use futures::future::BoxFuture;
use sqlx::{AnyConnection, Row};
use tresor_actors::{AccountStore, Committed};
use uuid::Uuid;

use super::account::AccountStatus;
use super::combiner::Combiner;
use super::command::Movement;
use super::command::{Command, LedgerError, Outcome};
use super::flags;
use super::limits::LedgerSettings;
use super::plan::{self, Plan, Saved, Snapshot, Stale};
use super::{balances, notify, write};
use crate::db::{Db, batch, time};

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

/// Why an attempt did not commit.
pub enum Retry {
    /// The cache or a row changed under us: reload and decide again.
    Stale,
    Failed(LedgerError),
}

impl From<sqlx::Error> for Retry {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // Two requests with one idempotency key on different accounts raced: the loser
            // retries and then finds the winner's record.
            sqlx::Error::Database(e) if e.is_unique_violation() => Self::Stale,
            _ => Self::Failed(error.into()),
        }
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
    pub fn new(db: Db, limits: LedgerSettings, keys: std::sync::Arc<crate::crypto::Keys>) -> Self {
        Self { db, limits, keys, combiner: None }
    }

    /// A store whose actors' ready batches are committed together by `committers` tasks on the
    /// current actix system (see `combiner`).
    pub fn combined(db: Db, limits: LedgerSettings, keys: std::sync::Arc<crate::crypto::Keys>) -> Self {
        let alone = Self::new(db, limits, keys);
        if alone.limits.committers == 0 {
            return alone;
        }
        let combiner = Combiner::start(alone.clone(), alone.limits.committers, alone.limits.combine_max);
        Self { combiner: Some(combiner), ..alone }
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

    /// One transaction for the batches of several accounts (each account at most once): every
    /// row they touch locked first in ascending id order, each batch decided against its
    /// snapshot, all written with one statement per table. Answers one result per job, `None`
    /// for a stale one (nothing of it was written: decide it again on fresh data).
    pub async fn attempt(&self, jobs: &[Job]) -> Result<Vec<Option<Committed<Self>>>, Retry> {
        let mut tx = self.db.begin_keyed().await?;
        let commands: Vec<&Command> = jobs.iter().flat_map(|job| &job.batch).collect();
        let touched: Vec<Uuid> = jobs
            .iter()
            .map(|job| job.account)
            .chain(commands.iter().filter(|c| c.movement == Movement::Transfer).map(|c| c.counter_account))
            .collect();
        balances::lock(&mut tx, self.db.dialect(), &touched).await?;
        let today = Utc::now().date_naive();
        let mut snapshots = Vec::with_capacity(jobs.len());
        for job in jobs {
            snapshots.push(match job.cached.clone() {
                Some(s) if s.day == today => s,
                Some(s) => Snapshot { day: today, outgoing_today: 0, ..s },
                None => load(&mut tx, job.account, today).await?,
            });
        }
        let saved = saved_responses(&mut tx, &commands).await?;
        let counters = counters(&mut tx, &commands).await?;
        let now = Utc::now().timestamp();
        // Per job: its plan, or `None` when its cached balance was too low to decide on.
        let mut plans = Vec::with_capacity(jobs.len());
        for (job, snapshot) in jobs.iter().zip(&snapshots) {
            let from_cache = job.cached.is_some();
            plans.push(
                match plan::decide(snapshot, &job.batch, &saved, &counters.statuses, &self.limits, from_cache) {
                    Ok(Plan { steps, outgoing_today }) => {
                        let mut velocity = snapshot.velocity.clone();
                        let flags = flags::detect(&mut velocity, &job.batch, &steps, &self.limits, now);
                        Some((steps, outgoing_today, velocity, flags))
                    }
                    Err(Stale) => None,
                },
            );
        }
        let decided: Vec<write::Decided<'_>> = jobs
            .iter()
            .zip(&snapshots)
            .zip(&plans)
            .filter_map(|((job, snapshot), plan)| {
                let (steps, _, _, flags) = plan.as_ref()?;
                Some(write::Decided { account: job.account, snapshot, batch: &job.batch, steps, flags })
            })
            .collect();
        let mut written =
            write::apply(&mut tx, &self.keys.encryption, &counters.recipients, &decided).await?.into_iter();
        tx.commit().await?;

        let mut results = Vec::with_capacity(jobs.len());
        for (snapshot, plan) in snapshots.into_iter().zip(plans) {
            let Some((_, outgoing_today, velocity, _)) = plan else {
                results.push(None);
                continue;
            };
            let Some(written) = written.next().flatten() else {
                results.push(None);
                continue;
            };
            let snapshot = Snapshot {
                balance: written.balance.unwrap_or(snapshot.balance),
                version: written.version.unwrap_or(snapshot.version),
                outgoing_today,
                velocity,
                ..snapshot
            };
            let outcomes = written.responses.into_iter().map(Ok).collect();
            results.push(Some(Committed { snapshot: Some(snapshot), outcomes }));
        }
        Ok(results)
    }
}

/// The account's row and what has left it today, in one read.
async fn load(conn: &mut AnyConnection, account: Uuid, today: chrono::NaiveDate) -> Result<Snapshot, sqlx::Error> {
    let since = time::to_db(today.and_time(chrono::NaiveTime::MIN).and_utc());
    let row = sqlx::query(
        "SELECT number, balance, version, status, \
         (SELECT CAST(COALESCE(SUM(-p.amount), 0) AS BIGINT) FROM postings p \
          WHERE p.account_id = accounts.id AND p.amount < 0 AND p.created_at >= $2) AS outgoing_today \
         FROM accounts WHERE id = $1",
    )
    .bind(account.to_string())
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Snapshot {
        balance: row.try_get("balance")?,
        version: row.try_get("version")?,
        status: AccountStatus::parse(&row.try_get::<String, _>("status")?)?,
        day: today,
        outgoing_today: row.try_get("outgoing_today")?,
        velocity: flags::Velocity::default(),
        number: row.try_get("number")?,
    })
}

async fn saved_responses(conn: &mut AnyConnection, batch: &[&Command]) -> Result<HashMap<String, Saved>, sqlx::Error> {
    let scopes: Vec<&str> = batch.iter().filter_map(|c| c.idempotency.as_ref()).map(|k| k.scope.as_str()).collect();
    if scopes.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT scope, fingerprint, status, body FROM idempotency_keys WHERE scope IN ({})",
        batch::list(1, scopes.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for scope in &scopes {
        query = query.bind(*scope);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let status: i64 = row.try_get("status")?;
            let saved = Saved {
                fingerprint: row.try_get("fingerprint")?,
                status: u16::try_from(status).unwrap_or(500),
                body: row.try_get("body")?,
            };
            Ok((row.try_get("scope")?, saved))
        })
        .collect()
}

/// What the batch needs to know of each transfer's destination: its status (for the plan) and
/// whom to email (for `notify`), in one read.
pub struct Counters {
    pub statuses: HashMap<Uuid, AccountStatus>,
    pub recipients: notify::Recipients,
}

async fn counters(conn: &mut AnyConnection, batch: &[&Command]) -> Result<Counters, sqlx::Error> {
    let mut ids: Vec<String> = batch
        .iter()
        .filter(|c| c.movement == super::command::Movement::Transfer)
        .map(|c| c.counter_account.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    let mut counters = Counters { statuses: HashMap::new(), recipients: HashMap::new() };
    if ids.is_empty() {
        return Ok(counters);
    }
    // The owner is emailed only while active and not erased.
    let sql = format!(
        "SELECT a.id, a.status, u.email, u.full_name FROM accounts a \
         LEFT JOIN users u ON u.id = a.user_id AND u.status = 'active' AND u.email IS NOT NULL \
         WHERE a.is_system = 0 AND a.id IN ({})",
        batch::list(1, ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let id = super::account::parse_uuid(&row.try_get::<String, _>("id")?)?;
        counters.statuses.insert(id, AccountStatus::parse(&row.try_get::<String, _>("status")?)?);
        let email: Option<String> = row.try_get("email")?;
        let name: Option<String> = row.try_get("full_name")?;
        if let (Some(email), Some(name)) = (email, name) {
            counters.recipients.insert(id, (email, name));
        }
    }
    Ok(counters)
}
