//! Updating balances: the debited account behind its version fence, credited accounts by
//! addition, every row locked in ascending id order (so crossing transfers cannot deadlock).
//!
//! A batch that credits a few accounts updates them one statement each, in id order. One that
//! credits many (a busy account paying many others) first locks every row it touches in id
//! order (PostgreSQL; SQLite's write transaction already holds the database) and then credits
//! them all in one statement, so its cost does not grow with the number of recipients.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::command::{Command, Movement};
use super::commit::Retry;
use crate::db::{Dialect, batch};

/// Above this many credited accounts, a batch locks its rows and credits them in one statement.
const CREDITS_ONE_BY_ONE: usize = 2;

/// A row as the batch left it.
pub struct After {
    pub balance: i64,
    pub version: i64,
    pub seq: i64,
    /// What this batch added to it, and how many postings.
    pub credited: i64,
    pub postings: i64,
}

pub struct Balances {
    pub source: After,
    /// The credited customer accounts (transfer destinations).
    pub counters: BTreeMap<Uuid, After>,
}

fn after(row: &sqlx::any::AnyRow, credited: i64, postings: i64) -> Result<After, sqlx::Error> {
    Ok(After {
        balance: row.try_get("balance")?,
        version: row.try_get("version")?,
        seq: row.try_get("posting_seq")?,
        credited,
        postings,
    })
}

pub async fn update(
    conn: &mut AnyConnection,
    dialect: Dialect,
    account: Uuid,
    expected_version: i64,
    batch: &[Command],
    applied: &[usize],
) -> Result<Balances, Retry> {
    let delta: i64 = applied.iter().map(|i| batch[*i].delta()).sum();
    let debits = applied.iter().any(|i| batch[*i].is_debit());
    let postings = applied.len() as i64;
    let mut credits: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for i in applied {
        if batch[*i].movement == Movement::Transfer {
            let credit = credits.entry(batch[*i].counter_account).or_default();
            credit.0 += batch[*i].amount.minor_units();
            credit.1 += 1;
        }
    }
    // Every row in ascending id order, the actor's own account among them.
    let mut order: Vec<Uuid> = credits.keys().copied().chain([account]).collect();
    order.sort();
    let together = credits.len() > CREDITS_ONE_BY_ONE;
    if together {
        lock(conn, dialect, &order).await?;
        order = vec![account];
    }
    let mut source = None;
    let mut counters = BTreeMap::new();
    for id in order {
        if id == account {
            source = Some(debit(conn, account, delta, postings, debits.then_some(expected_version)).await?);
        } else {
            let (credit, count) = credits[&id];
            let row = sqlx::query(
                "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
                 WHERE id = $3 AND status <> 'closed' AND is_system = 0 RETURNING balance, version, posting_seq",
            )
            .bind(credit)
            .bind(count)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Retry::Stale)?;
            counters.insert(id, after(&row, credit, count)?);
        }
    }
    if together {
        counters = credit_all(conn, &credits).await?;
    }
    let source = source.ok_or(Retry::Stale)?;
    Ok(Balances { source, counters })
}

/// The actor's own account. With `fence` (the batch debits), only at the version the batch was
/// decided on and only if the balance stays ≥ 0; credits alone only add.
async fn debit(
    conn: &mut AnyConnection,
    account: Uuid,
    delta: i64,
    postings: i64,
    fence: Option<i64>,
) -> Result<After, Retry> {
    let query = match fence {
        Some(version) => sqlx::query(
            "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND balance + $1 >= 0 AND status <> 'closed' \
             RETURNING balance, version, posting_seq",
        )
        .bind(delta)
        .bind(postings)
        .bind(account.to_string())
        .bind(version),
        None => sqlx::query(
            "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
             WHERE id = $3 AND status <> 'closed' RETURNING balance, version, posting_seq",
        )
        .bind(delta)
        .bind(postings)
        .bind(account.to_string()),
    };
    let row = query.fetch_optional(&mut *conn).await?.ok_or(Retry::Stale)?;
    Ok(after(&row, delta, postings)?)
}

/// Credits every account of `credits` (amount, postings) in one statement; the rows are
/// already locked. A row that is missing, closed or a system account makes the batch stale.
async fn credit_all(
    conn: &mut AnyConnection,
    credits: &BTreeMap<Uuid, (i64, i64)>,
) -> Result<BTreeMap<Uuid, After>, Retry> {
    let sql = format!(
        "WITH credited (credit_id, credit, credit_postings) AS (VALUES {}) \
         UPDATE accounts SET balance = accounts.balance + credited.credit, \
         posting_seq = accounts.posting_seq + credited.credit_postings \
         FROM credited WHERE accounts.id = credited.credit_id AND accounts.status <> 'closed' \
         AND accounts.is_system = 0 RETURNING id, balance, version, posting_seq",
        batch::values(credits.len(), 3)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, (credit, count)) in credits {
        query = query.bind(id.to_string()).bind(*credit).bind(*count);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    if rows.len() != credits.len() {
        return Err(Retry::Stale);
    }
    let mut counters = BTreeMap::new();
    for row in &rows {
        let id = super::account::parse_uuid(&row.try_get::<String, _>("id")?)?;
        let (credit, count) = credits.get(&id).copied().ok_or(Retry::Stale)?;
        counters.insert(id, after(row, credit, count)?);
    }
    Ok(counters)
}

/// Locks `ids` (sorted ascending) for the rest of the transaction, in that order. SQLite's write
/// transaction already excludes every other writer.
pub async fn lock(conn: &mut AnyConnection, dialect: Dialect, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    if dialect == Dialect::Sqlite || ids.is_empty() {
        return Ok(());
    }
    let sql = format!("SELECT id FROM accounts WHERE id IN ({}) ORDER BY id FOR UPDATE", batch::list(1, ids.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id.to_string());
    }
    query.fetch_all(&mut *conn).await?;
    Ok(())
}
