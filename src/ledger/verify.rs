//! Reconciliation: proves the books from the rows alone.

use serde::Serialize;

use super::store;
use crate::db::Db;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerReport {
    pub ok: bool,
    pub entries: i64,
    pub accounts: i64,
    /// The first discrepancy found, in words naming the entry or account.
    pub problem: Option<String>,
}

/// Checks that every entry has postings summing to zero, that every customer balance equals
/// the sum of its postings and is not negative, that each account's postings are numbered
/// 1..n without gaps, that its latest posting records its current balance, and that every
/// reversal nets its original to zero on every account it touches; and, for holds, that each
/// account's held total is the sum of its open holds and within its balance, and that every
/// captured hold's entry debits its account by exactly the captured amount.
#[tracing::instrument(skip_all)]
pub async fn verify(db: &Db) -> Result<LedgerReport, sqlx::Error> {
    let reader = db.reader();
    let (entries, accounts) = store::verify::counts(reader).await?;
    let report = |problem: Option<String>| LedgerReport { ok: problem.is_none(), entries, accounts, problem };
    if let Some(found) = store::verify::unbalanced_entry(reader).await? {
        let store::verify::Unbalanced { reference, total, legs } = found;
        return Ok(report(Some(format!("entry {reference} does not balance: {legs} postings summing to {total}"))));
    }
    if let Some(found) = store::verify::drifted_account(reader).await? {
        let store::verify::Drifted { number, balance, posted } = found;
        return Ok(report(Some(format!("account {number} holds {balance} but its postings sum to {posted}"))));
    }
    if let Some(found) = store::verify::misnumbered_account(reader).await? {
        let store::verify::Misnumbered { number, posting_seq: expected, postings: found } = found;
        return Ok(report(Some(format!("account {number} should have postings 1..{expected} but has {found}"))));
    }
    if let Some(found) = store::verify::last_posting_disagrees(reader).await? {
        let store::verify::LastDisagrees { number, balance, balance_after: after } = found;
        return Ok(report(Some(format!(
            "account {number} holds {balance} but its latest posting records {after:?} as the balance after it"
        ))));
    }
    if let Some(found) = store::verify::unnetted_reversal(reader).await? {
        let store::verify::Unnetted { reference, original } = found;
        return Ok(report(Some(format!("reversal {reference} does not net its original {original} to zero"))));
    }
    if let Some(found) = store::verify::held_drift(reader).await? {
        let store::verify::HeldDrift { number, balance, held, open } = found;
        return Ok(report(Some(format!(
            "account {number} records {held} held but its open holds total {open} (balance {balance})"
        ))));
    }
    if let Some(found) = store::verify::miscaptured_hold(reader).await? {
        return Ok(report(Some(format!(
            "hold {} is captured but its entry does not debit its account by the captured amount",
            found.id
        ))));
    }
    if let Some(found) = store::verify::over_refunded_hold(reader).await? {
        return Ok(report(Some(format!("hold {} is refunded more than it captured", found.id))));
    }
    Ok(report(None))
}
