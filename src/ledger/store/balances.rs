//! Updating balances for one transaction that may carry the batches of several accounts: every
//! row it touches is locked first, in ascending id order (PostgreSQL; SQLite's write transaction
//! already excludes every other writer), so crossing transfers cannot deadlock. Then each
//! debited account moves behind its version fence and all credited accounts move by addition —
//! one statement each, however many accounts the transaction carries.

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::decode;
use crate::db::{Dialect, batch};
use crate::ledger::retry::Retry;

/// A row as the statement left it.
#[derive(Clone, Copy, Debug)]
pub struct After {
    pub balance: i64,
    pub held: i64,
    pub version: i64,
    pub seq: i64,
    /// What the statement added to it, and how many postings.
    pub added: i64,
    pub postings: i64,
}

/// What the balance statements return of each row they moved.
#[derive(sqlx::FromRow)]
struct MovedRow {
    id: String,
    balance: i64,
    held: i64,
    version: i64,
    posting_seq: i64,
}

impl MovedRow {
    fn after(&self, added: i64, postings: i64) -> After {
        After { balance: self.balance, held: self.held, version: self.version, seq: self.posting_seq, added, postings }
    }
}

/// One batch's change to its own account. With `fence` (the batch debits, or places or ends a
/// hold), it applies only at the version the batch was decided on and only if the balance stays
/// ≥ the held total (what is available stays ≥ 0); credits alone only add.
pub struct Change {
    pub account: Uuid,
    pub delta: i64,
    /// The change to the held total (open holds placed minus holds ended).
    pub held: i64,
    pub postings: i64,
    pub fence: Option<i64>,
}

/// Locks `ids` for the rest of the transaction, in ascending order.
#[tracing::instrument(skip_all)]
pub async fn lock(conn: &mut AnyConnection, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let dialect = Dialect::of(conn);
    // One row cannot deadlock; SQLite holds the database.
    if dialect == Dialect::Sqlite || ids.len() < 2 {
        return Ok(());
    }
    let sql = format!(
        "SELECT id FROM accounts WHERE id IN ({}) ORDER BY id{}",
        batch::list(1, ids.len()),
        dialect.for_update()
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(id.to_string());
    }
    query.fetch_all(&mut *conn).await?;
    Ok(())
}

/// Applies every batch's change to its own account in one statement. An account missing from
/// the answer did not pass its fence (another process moved it, or it was closed): that batch
/// is stale and must write nothing else.
#[tracing::instrument(skip_all)]
pub async fn change_sources(conn: &mut AnyConnection, changes: &[Change]) -> Result<HashMap<Uuid, After>, Retry> {
    if changes.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "WITH changed (change_id, change, change_held, change_postings, fenced, fence) AS (VALUES {}) \
         UPDATE accounts SET balance = accounts.balance + changed.change, \
         held = accounts.held + changed.change_held, \
         posting_seq = accounts.posting_seq + changed.change_postings, \
         version = accounts.version + changed.fenced \
         FROM changed WHERE accounts.id = changed.change_id AND accounts.status <> 'closed' \
         AND (changed.fenced = 0 OR (accounts.version = changed.fence \
              AND accounts.balance + changed.change >= accounts.held + changed.change_held)) \
         RETURNING id, balance, held, version, posting_seq",
        batch::values_for(Dialect::of(conn), changes.len(), 6)
    );
    let mut query = sqlx::query_as::<_, MovedRow>(sqlx::AssertSqlSafe(sql));
    for change in changes {
        query = query
            .bind(change.account.to_string())
            .bind(change.delta)
            .bind(change.held)
            .bind(change.postings)
            .bind(i64::from(change.fence.is_some()))
            .bind(change.fence.unwrap_or(0));
    }
    let by_id: HashMap<Uuid, &Change> = changes.iter().map(|c| (c.account, c)).collect();
    let mut out = HashMap::with_capacity(changes.len());
    for row in query.fetch_all(&mut *conn).await? {
        let id = decode::uuid(&row.id)?;
        let change = by_id.get(&id).ok_or(Retry::Stale)?;
        out.insert(id, row.after(change.delta, change.postings));
    }
    Ok(out)
}

/// Credits every account of `credits` (amount, postings) in one statement. A row that is
/// missing, closed or a system account makes the whole transaction stale (the plan read the
/// destinations' statuses under the same locks, so this is a last line of defence).
#[tracing::instrument(skip_all)]
pub async fn credit(
    conn: &mut AnyConnection,
    credits: &BTreeMap<Uuid, (i64, i64)>,
) -> Result<HashMap<Uuid, After>, Retry> {
    if credits.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "WITH credited (credit_id, credit, credit_postings) AS (VALUES {}) \
         UPDATE accounts SET balance = accounts.balance + credited.credit, \
         posting_seq = accounts.posting_seq + credited.credit_postings \
         FROM credited WHERE accounts.id = credited.credit_id AND accounts.status <> 'closed' \
         AND accounts.is_system = 0 RETURNING id, balance, held, version, posting_seq",
        batch::values_for(Dialect::of(conn), credits.len(), 3)
    );
    let mut query = sqlx::query_as::<_, MovedRow>(sqlx::AssertSqlSafe(sql));
    for (id, (amount, count)) in credits {
        query = query.bind(id.to_string()).bind(*amount).bind(*count);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    if rows.len() != credits.len() {
        return Err(Retry::Stale);
    }
    let mut out = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id = decode::uuid(&row.id)?;
        let (amount, count) = credits.get(&id).copied().ok_or(Retry::Stale)?;
        out.insert(id, row.after(amount, count));
    }
    Ok(out)
}
