//! Committing a batch of one account's commands in one transaction — the database side of the
//! account actor, and the place where correctness is enforced:
//!
//! - the actor's account is debited with a conditional update (`version` unchanged and the
//!   balance stays ≥ 0); if another process debited it meanwhile, the update matches no row and
//!   the batch is retried on fresh data;
//! - credits (deposits, incoming transfers) add to the row without bumping `version`, so they
//!   never invalidate another actor's cache; a cached balance is only ever too low, and a refusal
//!   for lack of funds is re-decided on a fresh read;
//! - every row is updated in ascending id order, so crossing transfers cannot deadlock;
//! - entries, postings, idempotency records and audit entries go in with the balances, in the
//!   same transaction.

use std::collections::HashMap;

use chrono::Utc;
use futures::future::BoxFuture;
use sqlx::{AnyConnection, Row};
use tresor_actors::{AccountStore, Committed};
use uuid::Uuid;

use super::account::AccountStatus;
use super::command::{Command, LedgerError, Outcome};
use super::flags;
use super::limits::LedgerSettings;
use super::plan::{self, Plan, Saved, Snapshot, Stale};
use super::{balances, notify, write};
use crate::db::{Db, Dialect, batch, time};

const ATTEMPTS: usize = 5;

/// The account actors' store.
#[derive(Clone)]
pub struct LedgerStore {
    pub db: Db,
    pub limits: LedgerSettings,
    pub keys: std::sync::Arc<crate::crypto::Keys>,
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

impl From<Stale> for Retry {
    fn from(_: Stale) -> Self {
        Self::Stale
    }
}

impl LedgerStore {
    #[tracing::instrument(skip_all, fields(%account, commands = batch.len()))]
    async fn commit_batch(
        &self,
        account: Uuid,
        mut cached: Option<Snapshot>,
        batch: Vec<Command>,
    ) -> Result<Committed<Self>, LedgerError> {
        metrics::histogram!("ledger_group_commit_size").record(batch.len() as f64);
        // Optimistic first: the cached snapshot and conditional updates, no row locks. When
        // another process moved one of these accounts in between (several `serve` processes on
        // one PostgreSQL), the retries lock the rows first, so a busy account cannot starve.
        for attempt in 0..ATTEMPTS {
            match self.attempt(account, cached.take(), &batch, attempt > 0).await {
                Ok(committed) => return Ok(committed),
                Err(Retry::Stale) => metrics::counter!("ledger_stale_retries_total").increment(1),
                Err(Retry::Failed(error)) => return Err(error),
            }
        }
        Err(LedgerError::Contended)
    }

    /// The baseline the actors are measured against: one transaction per request that locks
    /// its rows up front (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
    /// holds the write lock), with no actor, no cache and no batching.
    #[tracing::instrument(skip_all, fields(%account))]
    pub async fn commit_locked(&self, account: Uuid, command: Command) -> Result<Outcome, LedgerError> {
        let batch = [command];
        for _ in 0..ATTEMPTS {
            match self.attempt(account, None, &batch, true).await {
                Ok(mut committed) => {
                    return committed.outcomes.pop().unwrap_or(Err(LedgerError::Contended));
                }
                Err(Retry::Stale) => metrics::counter!("ledger_stale_retries_total").increment(1),
                Err(Retry::Failed(error)) => return Err(error),
            }
        }
        Err(LedgerError::Contended)
    }

    async fn attempt(
        &self,
        account: Uuid,
        cached: Option<Snapshot>,
        batch: &[Command],
        lock_rows: bool,
    ) -> Result<Committed<Self>, Retry> {
        let mut tx = self.db.begin().await?;
        if lock_rows {
            lock(&mut tx, self.db.dialect(), account, batch).await?;
        }
        let today = Utc::now().date_naive();
        let from_cache = cached.is_some();
        let snapshot = match cached {
            Some(s) if s.day == today => s,
            Some(s) => Snapshot { day: today, outgoing_today: 0, ..s },
            None => load(&mut tx, account, today).await?,
        };
        let saved = saved_responses(&mut tx, batch).await?;
        let counters = counters(&mut tx, batch).await?;
        let Plan { steps, outgoing_today } =
            plan::decide(&snapshot, batch, &saved, &counters.statuses, &self.limits, from_cache)?;
        let mut velocity = snapshot.velocity.clone();
        let flags = flags::detect(&mut velocity, batch, &steps, &self.limits, Utc::now().timestamp());
        let context = write::Context {
            dialect: self.db.dialect(),
            ring: &self.keys.encryption,
            account,
            flags: &flags,
            recipients: &counters.recipients,
        };
        let written = write::apply(&mut tx, &context, &snapshot, batch, &steps).await?;
        tx.commit().await?;

        let snapshot = Snapshot {
            balance: written.balance.unwrap_or(snapshot.balance),
            version: written.version.unwrap_or(snapshot.version),
            outgoing_today,
            velocity,
            ..snapshot
        };
        let outcomes = written.responses.into_iter().map(Ok).collect();
        Ok(Committed { snapshot: Some(snapshot), outcomes })
    }
}

/// Locks every row the batch touches, in ascending id order.
async fn lock(conn: &mut AnyConnection, dialect: Dialect, account: Uuid, batch: &[Command]) -> Result<(), sqlx::Error> {
    let mut ids: Vec<Uuid> = batch
        .iter()
        .filter(|c| c.movement == super::command::Movement::Transfer)
        .map(|c| c.counter_account)
        .chain([account])
        .collect();
    ids.sort();
    ids.dedup();
    balances::lock(conn, dialect, &ids).await
}

async fn load(conn: &mut AnyConnection, account: Uuid, today: chrono::NaiveDate) -> Result<Snapshot, sqlx::Error> {
    let row = sqlx::query("SELECT number, balance, version, status FROM accounts WHERE id = $1")
        .bind(account.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let since = time::to_db(today.and_time(chrono::NaiveTime::MIN).and_utc());
    let outgoing: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(-amount), 0) AS BIGINT) FROM postings WHERE account_id = $1 AND amount < 0 AND created_at >= $2",
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
        outgoing_today: outgoing,
        velocity: flags::Velocity::default(),
        number: row.try_get("number")?,
    })
}

async fn saved_responses(conn: &mut AnyConnection, batch: &[Command]) -> Result<HashMap<String, Saved>, sqlx::Error> {
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

async fn counters(conn: &mut AnyConnection, batch: &[Command]) -> Result<Counters, sqlx::Error> {
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
