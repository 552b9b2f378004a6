//! What a statement holds: the account's opening balance at the start of the period, every
//! posting within it (oldest first) and the closing balance — and its CSV rendering, whose
//! `amount` column sums to closing − opening.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::Db;
use crate::ledger::history;
use crate::ledger::range::Range;
use crate::ledger::transaction::Transaction;

const PAGE: u32 = 200;

pub struct Content {
    pub opening: i64,
    pub closing: i64,
    /// Oldest first.
    pub postings: Vec<Transaction>,
}

/// The signed amount a transaction posted to the account.
pub fn signed(transaction: &Transaction) -> i64 {
    if transaction.direction == "credit" { transaction.amount } else { -transaction.amount }
}

/// The account's postings at or after `from` and before `until`, with the balances around them.
pub async fn collect(
    db: &Db,
    account: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Content, sqlx::Error> {
    let range = Range { from: Some(from), until: Some(until) };
    let mut postings = Vec::new();
    let mut cursor = None;
    loop {
        let page = history::page(db, account, PAGE, cursor, &range).await?;
        postings.extend(page.items);
        match page.next_cursor.and_then(|c| c.parse::<i64>().ok()) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    postings.reverse();
    let opening = match postings.first() {
        Some(first) => first.balance_after - signed(first),
        None => {
            let before = Range { from: None, until: Some(from) };
            history::page(db, account, 1, None, &before).await?.items.first().map_or(0, |t| t.balance_after)
        }
    };
    let closing = postings.last().map_or(opening, |last| last.balance_after);
    Ok(Content { opening, closing, postings })
}

/// One row per posting: `date, reference, kind, description, counterparty, amount,
/// balance_after` (amounts in minor units, signed). Text a spreadsheet would take for a formula
/// is prefixed with `'`.
pub fn csv(content: &Content) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["date", "reference", "kind", "description", "counterparty", "amount", "balance_after"])?;
    for t in &content.postings {
        writer.write_record([
            t.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            inert(&t.reference),
            t.kind.as_str().to_owned(),
            inert(t.description.as_deref().unwrap_or_default()),
            inert(t.counterparty_number.as_deref().unwrap_or_default()),
            signed(t).to_string(),
            t.balance_after.to_string(),
        ])?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("statement CSV: {}", e.error()))
}

fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}
