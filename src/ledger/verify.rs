//! Reconciliation: proves the books from the rows alone.

use serde::Serialize;
use sqlx::Row;

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
/// 1..n without gaps, and that its latest posting records its current balance.
#[tracing::instrument(skip_all)]
pub async fn verify(db: &Db) -> Result<LedgerReport, sqlx::Error> {
    let reader = db.reader();
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries").fetch_one(reader).await?;
    let accounts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = 0").fetch_one(reader).await?;
    let report = |problem: Option<String>| LedgerReport { ok: problem.is_none(), entries, accounts, problem };

    let unbalanced = sqlx::query(
        "SELECT e.reference, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS total, COUNT(p.id) AS legs \
         FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id \
         GROUP BY e.id, e.reference HAVING CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) <> 0 OR COUNT(p.id) < 2 \
         ORDER BY e.reference LIMIT 1",
    )
    .fetch_optional(reader)
    .await?;
    if let Some(row) = unbalanced {
        let (reference, total, legs): (String, i64, i64) =
            (row.try_get("reference")?, row.try_get("total")?, row.try_get("legs")?);
        return Ok(report(Some(format!("entry {reference} does not balance: {legs} postings summing to {total}"))));
    }

    let drifted = sqlx::query(
        "SELECT a.number, a.balance, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS posted FROM accounts a \
         LEFT JOIN postings p ON p.account_id = a.id WHERE a.is_system = 0 \
         GROUP BY a.id, a.number, a.balance HAVING a.balance <> CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) OR a.balance < 0 \
         ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(reader)
    .await?;
    if let Some(row) = drifted {
        let (number, balance, posted): (String, i64, i64) =
            (row.try_get("number")?, row.try_get("balance")?, row.try_get("posted")?);
        return Ok(report(Some(format!("account {number} holds {balance} but its postings sum to {posted}"))));
    }

    let numbering = sqlx::query(
        "SELECT a.number, a.posting_seq, COUNT(p.id) AS postings, COALESCE(MAX(p.seq), 0) AS last FROM accounts a \
         LEFT JOIN postings p ON p.account_id = a.id WHERE a.is_system = 0 \
         GROUP BY a.id, a.number, a.posting_seq HAVING a.posting_seq <> COUNT(p.id) OR a.posting_seq <> COALESCE(MAX(p.seq), 0) \
         ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(reader)
    .await?;
    if let Some(row) = numbering {
        let (number, expected, found): (String, i64, i64) =
            (row.try_get("number")?, row.try_get("posting_seq")?, row.try_get("postings")?);
        return Ok(report(Some(format!("account {number} should have postings 1..{expected} but has {found}"))));
    }

    let last_disagrees = sqlx::query(
        "SELECT a.number, a.balance, p.balance_after FROM accounts a JOIN postings p ON p.account_id = a.id \
         WHERE a.is_system = 0 AND a.posting_seq > 0 AND p.seq = a.posting_seq \
         AND (p.balance_after IS NULL OR p.balance_after <> a.balance) ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(reader)
    .await?;
    if let Some(row) = last_disagrees {
        let (number, balance): (String, i64) = (row.try_get("number")?, row.try_get("balance")?);
        let after: Option<i64> = row.try_get("balance_after")?;
        return Ok(report(Some(format!(
            "account {number} holds {balance} but its latest posting records {after:?} as the balance after it"
        ))));
    }
    Ok(report(None))
}
