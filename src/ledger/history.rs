//! An account's transactions, newest first, with keyset pagination and an optional time range.

use uuid::Uuid;

pub use super::range::Range;
use super::store;
use super::transaction::Transaction;
use crate::db::Db;

pub struct Page {
    pub items: Vec<Transaction>,
    /// Pass back as `cursor` for the next (older) page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// `cursor` is the posting number the previous page ended at (opaque to clients).
pub async fn page(db: &Db, account: Uuid, limit: u32, cursor: Option<i64>, range: &Range) -> Result<Page, sqlx::Error> {
    // One more than asked for says whether there is a next page.
    let rows = store::history::newest(db.reader(), account, cursor, range, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len());
    let mut last_posting = None;
    for (seq, transaction) in rows.into_iter().take(limit as usize) {
        last_posting = seq;
        items.push(transaction);
    }
    Ok(Page { items, next_cursor: if more { last_posting.map(|seq| seq.to_string()) } else { None } })
}

/// One transaction of `account` by its entry id (for `Location` targets).
pub async fn one(db: &Db, account: Uuid, entry: Uuid) -> Result<Option<Transaction>, sqlx::Error> {
    store::history::one(db.reader(), account, entry).await
}
