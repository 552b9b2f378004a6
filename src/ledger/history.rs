//! An account's transactions, newest first, with keyset pagination.

use sqlx::Row;
use uuid::Uuid;

use super::account::parse_uuid;
use super::transaction::{Transaction, TransactionKind};
use crate::db::{Db, time};

pub struct Page {
    pub items: Vec<Transaction>,
    /// Pass back as `cursor` for the next (older) page; `None` at the end.
    pub next_cursor: Option<String>,
}

const SELECT: &str = "SELECT p.seq, e.id AS entry_id, e.reference, e.kind, p.amount, e.currency, \
     p.balance_after, cp.number AS counterparty_number, e.description, p.created_at \
     FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
     LEFT JOIN accounts cp ON cp.id = p.counterparty_account_id \
     WHERE p.account_id = $1";

/// `cursor` is the posting number the previous page ended at (opaque to clients).
pub async fn page(db: &Db, account: Uuid, limit: u32, cursor: Option<i64>) -> Result<Page, sqlx::Error> {
    let fetch = i64::from(limit) + 1;
    let rows = match cursor {
        None => {
            let sql = format!("{SELECT} ORDER BY p.seq DESC LIMIT $2");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account.to_string()).bind(fetch).fetch_all(db.reader()).await?
        }
        Some(cursor) => {
            let sql = format!("{SELECT} AND p.seq < $2 ORDER BY p.seq DESC LIMIT $3");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.to_string())
                .bind(cursor)
                .bind(fetch)
                .fetch_all(db.reader())
                .await?
        }
    };
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len());
    let mut last_posting = None;
    for row in rows.iter().take(limit as usize) {
        last_posting = row.try_get::<Option<i64>, _>("seq")?;
        items.push(transaction(row)?);
    }
    Ok(Page { items, next_cursor: if more { last_posting.map(|seq| seq.to_string()) } else { None } })
}

/// One transaction of `account` by its entry id (for `Location` targets).
pub async fn one(db: &Db, account: Uuid, entry: Uuid) -> Result<Option<Transaction>, sqlx::Error> {
    let sql = format!("{SELECT} AND e.id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account.to_string())
        .bind(entry.to_string())
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(transaction).transpose()
}

fn transaction(row: &sqlx::any::AnyRow) -> Result<Transaction, sqlx::Error> {
    let amount: i64 = row.try_get("amount")?;
    let kind = match (row.try_get::<String, _>("kind")?.as_str(), amount > 0) {
        ("deposit", _) => TransactionKind::Deposit,
        ("withdrawal", _) => TransactionKind::Withdrawal,
        (_, true) => TransactionKind::TransferIn,
        (_, false) => TransactionKind::TransferOut,
    };
    let currency: String = row.try_get("currency")?;
    Ok(Transaction {
        id: parse_uuid(&row.try_get::<String, _>("entry_id")?)?,
        reference: row.try_get("reference")?,
        kind,
        direction: Transaction::direction_of(kind),
        amount: amount.abs(),
        currency: currency.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        balance_after: row.try_get::<Option<i64>, _>("balance_after")?.unwrap_or_default(),
        counterparty_number: row.try_get("counterparty_number")?,
        description: row.try_get("description")?,
        created_at: time::from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}
