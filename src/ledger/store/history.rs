//! An account's postings joined with their journal entries: the transactions its holder sees,
//! newest first, keyed by the account's posting number, each with the reversal links of its
//! entry.

use sqlx::AnyPool;
use uuid::Uuid;

use crate::db::{decode, time};
use crate::ledger::range::Range;
use crate::ledger::transaction::{Transaction, TransactionKind};

const SELECT: &str = "SELECT p.seq, e.id AS entry_id, e.reference, e.kind, p.amount, e.currency, \
     p.balance_after, cp.number AS counterparty_number, e.description, p.created_at, \
     rv.reverses AS reverses, rb.entry_id AS reversed_by, COALESCE(h.id, cr.hold_id) AS hold_id \
     FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
     LEFT JOIN accounts cp ON cp.id = p.counterparty_account_id \
     LEFT JOIN reversals rv ON rv.entry_id = e.id \
     LEFT JOIN reversals rb ON rb.reverses = e.id \
     LEFT JOIN holds h ON h.capture_entry_id = e.id \
     LEFT JOIN card_refunds cr ON cr.entry_id = e.id \
     WHERE p.account_id = $1";

#[derive(sqlx::FromRow)]
struct PostingRow {
    seq: Option<i64>,
    entry_id: String,
    reference: String,
    kind: String,
    amount: i64,
    currency: String,
    balance_after: Option<i64>,
    counterparty_number: Option<String>,
    description: Option<String>,
    created_at: String,
    reverses: Option<String>,
    reversed_by: Option<String>,
    hold_id: Option<String>,
}

impl TryFrom<PostingRow> for Transaction {
    type Error = sqlx::Error;

    fn try_from(row: PostingRow) -> Result<Self, sqlx::Error> {
        let kind = match (row.kind.as_str(), row.amount > 0) {
            _ if row.reverses.is_some() => TransactionKind::Reversal,
            _ if row.hold_id.is_some() => TransactionKind::Card,
            ("deposit", _) => TransactionKind::Deposit,
            ("withdrawal", _) => TransactionKind::Withdrawal,
            (_, true) => TransactionKind::TransferIn,
            (_, false) => TransactionKind::TransferOut,
        };
        Ok(Transaction {
            id: decode::uuid(&row.entry_id)?,
            reference: row.reference,
            kind,
            direction: Transaction::direction_of_amount(row.amount),
            amount: row.amount.abs(),
            currency: row.currency.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            balance_after: row.balance_after.unwrap_or_default(),
            counterparty_number: row.counterparty_number,
            description: row.description,
            created_at: decode::time(&row.created_at)?,
            reverses: row.reverses.as_deref().map(decode::uuid).transpose()?,
            reversed_by: row.reversed_by.as_deref().map(decode::uuid).transpose()?,
        })
    }
}

/// Up to `fetch` transactions of `account` older than posting `before` (all when `None`) and
/// within `range`, newest first, each with its posting number.
#[tracing::instrument(skip_all)]
pub async fn newest(
    pool: &AnyPool,
    account: Uuid,
    before: Option<i64>,
    range: &Range,
    fetch: i64,
) -> Result<Vec<(Option<i64>, Transaction)>, sqlx::Error> {
    let mut sql = String::from(SELECT);
    let mut next = 2;
    let mut condition = |column: &str, op: &str| {
        sql.push_str(&format!(" AND {column} {op} ${next}"));
        next += 1;
    };
    if before.is_some() {
        condition("p.seq", "<");
    }
    if range.from.is_some() {
        condition("p.created_at", ">=");
    }
    if range.until.is_some() {
        condition("p.created_at", "<");
    }
    sql.push_str(&format!(" ORDER BY p.seq DESC LIMIT ${next}"));
    let mut query = sqlx::query_as::<_, PostingRow>(sqlx::AssertSqlSafe(sql)).bind(account.to_string());
    if let Some(before) = before {
        query = query.bind(before);
    }
    for bound in [range.from, range.until].into_iter().flatten() {
        query = query.bind(time::to_db(bound));
    }
    let rows = query.bind(fetch).fetch_all(pool).await?;
    rows.into_iter().map(|row| Ok((row.seq, Transaction::try_from(row)?))).collect()
}

/// One transaction of `account` by its entry id.
#[tracing::instrument(skip_all)]
pub async fn one(pool: &AnyPool, account: Uuid, entry: Uuid) -> Result<Option<Transaction>, sqlx::Error> {
    let sql = format!("{SELECT} AND e.id = $2");
    let row: Option<PostingRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account.to_string())
        .bind(entry.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(Transaction::try_from).transpose()
}
