//! The reconciliation's reads: each finds the first row that breaks one rule of the books, in
//! a stable order, so a report names the same discrepancy every time.

use sqlx::AnyPool;

/// Journal entries, and customer accounts.
#[tracing::instrument(skip_all)]
pub async fn counts(pool: &AnyPool) -> Result<(i64, i64), sqlx::Error> {
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries").fetch_one(pool).await?;
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = 0").fetch_one(pool).await?;
    Ok((entries, accounts))
}

/// An entry whose postings do not sum to zero, or that has fewer than two.
#[derive(Debug, sqlx::FromRow)]
pub struct Unbalanced {
    pub reference: String,
    pub total: i64,
    pub legs: i64,
}

#[tracing::instrument(skip_all)]
pub async fn unbalanced_entry(pool: &AnyPool) -> Result<Option<Unbalanced>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.reference, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS total, COUNT(p.id) AS legs \
         FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id \
         GROUP BY e.id, e.reference HAVING CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) <> 0 OR COUNT(p.id) < 2 \
         ORDER BY e.reference LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A customer account whose balance is negative or differs from the sum of its postings.
#[derive(Debug, sqlx::FromRow)]
pub struct Drifted {
    pub number: String,
    pub balance: i64,
    pub posted: i64,
}

#[tracing::instrument(skip_all)]
pub async fn drifted_account(pool: &AnyPool) -> Result<Option<Drifted>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.number, a.balance, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS posted FROM accounts a \
         LEFT JOIN postings p ON p.account_id = a.id WHERE a.is_system = 0 \
         GROUP BY a.id, a.number, a.balance HAVING a.balance <> CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) OR a.balance < 0 \
         ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A customer account whose postings are not numbered 1..n without gaps.
#[derive(Debug, sqlx::FromRow)]
pub struct Misnumbered {
    pub number: String,
    pub posting_seq: i64,
    pub postings: i64,
}

#[tracing::instrument(skip_all)]
pub async fn misnumbered_account(pool: &AnyPool) -> Result<Option<Misnumbered>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.number, a.posting_seq, COUNT(p.id) AS postings, COALESCE(MAX(p.seq), 0) AS last FROM accounts a \
         LEFT JOIN postings p ON p.account_id = a.id WHERE a.is_system = 0 \
         GROUP BY a.id, a.number, a.posting_seq HAVING a.posting_seq <> COUNT(p.id) OR a.posting_seq <> COALESCE(MAX(p.seq), 0) \
         ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A customer account whose latest posting does not record its current balance.
#[derive(Debug, sqlx::FromRow)]
pub struct LastDisagrees {
    pub number: String,
    pub balance: i64,
    pub balance_after: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn last_posting_disagrees(pool: &AnyPool) -> Result<Option<LastDisagrees>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.number, a.balance, p.balance_after FROM accounts a JOIN postings p ON p.account_id = a.id \
         WHERE a.is_system = 0 AND a.posting_seq > 0 AND p.seq = a.posting_seq \
         AND (p.balance_after IS NULL OR p.balance_after <> a.balance) ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A reversal that does not undo its original: on some account, the two entries' postings do
/// not sum to zero, or the reversal names an entry of another currency or amount.
#[derive(Debug, sqlx::FromRow)]
pub struct Unnetted {
    pub reference: String,
    pub original: String,
}

#[tracing::instrument(skip_all)]
pub async fn unnetted_reversal(pool: &AnyPool) -> Result<Option<Unnetted>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.reference, o.reference AS original FROM reversals r \
         JOIN journal_entries e ON e.id = r.entry_id JOIN journal_entries o ON o.id = r.reverses \
         WHERE e.amount <> o.amount OR e.currency <> o.currency OR EXISTS ( \
           SELECT 1 FROM postings p WHERE p.entry_id IN (r.entry_id, r.reverses) \
           GROUP BY p.account_id HAVING SUM(p.amount) <> 0) \
         ORDER BY e.reference LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A customer account whose held total differs from the sum of its open holds, or exceeds its
/// balance (more promised than it holds).
#[derive(Debug, sqlx::FromRow)]
pub struct HeldDrift {
    pub number: String,
    pub balance: i64,
    pub held: i64,
    pub open: i64,
}

#[tracing::instrument(skip_all)]
pub async fn held_drift(pool: &AnyPool) -> Result<Option<HeldDrift>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.number, a.balance, a.held, CAST(COALESCE(SUM(h.amount), 0) AS BIGINT) AS open FROM accounts a \
         LEFT JOIN holds h ON h.account_id = a.id AND h.status = 'open' WHERE a.is_system = 0 \
         GROUP BY a.id, a.number, a.balance, a.held \
         HAVING a.held <> CAST(COALESCE(SUM(h.amount), 0) AS BIGINT) OR a.held > a.balance OR a.held < 0 \
         ORDER BY a.number LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A captured hold whose entry is not a debit of exactly the captured amount from its account.
#[derive(Debug, sqlx::FromRow)]
pub struct MiscapturedHold {
    pub id: String,
}

#[tracing::instrument(skip_all)]
pub async fn miscaptured_hold(pool: &AnyPool) -> Result<Option<MiscapturedHold>, sqlx::Error> {
    sqlx::query_as(
        "SELECT h.id FROM holds h WHERE h.status = 'captured' AND NOT EXISTS ( \
           SELECT 1 FROM postings p WHERE p.entry_id = h.capture_entry_id AND p.account_id = h.account_id \
           AND p.amount = -h.captured) \
         ORDER BY h.id LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A captured hold refunded more than it captured.
#[derive(Debug, sqlx::FromRow)]
pub struct OverRefunded {
    pub id: String,
}

#[tracing::instrument(skip_all)]
pub async fn over_refunded_hold(pool: &AnyPool) -> Result<Option<OverRefunded>, sqlx::Error> {
    sqlx::query_as(
        "SELECT h.id FROM holds h JOIN card_refunds r ON r.hold_id = h.id \
         GROUP BY h.id, h.captured HAVING CAST(SUM(r.amount) AS BIGINT) > h.captured ORDER BY h.id LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}
