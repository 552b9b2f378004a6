//! An account's postings joined with their journal entries: the transactions its holder sees,
//! newest first, keyed by the account's posting number.

use sqlx::AnyPool;
use uuid::Uuid;

use crate::db::decode;
use crate::ledger::transaction::{Transaction, TransactionKind};

const SELECT: &str = "SELECT p.seq, e.id AS entry_id, e.reference, e.kind, p.amount, e.currency, \
     p.balance_after, cp.number AS counterparty_number, e.description, p.created_at \
     FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
     LEFT JOIN accounts cp ON cp.id = p.counterparty_account_id \
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
}

impl TryFrom<PostingRow> for Transaction {
    type Error = sqlx::Error;

    fn try_from(row: PostingRow) -> Result<Self, sqlx::Error> {
        let kind = match (row.kind.as_str(), row.amount > 0) {
            ("deposit", _) => TransactionKind::Deposit,
            ("withdrawal", _) => TransactionKind::Withdrawal,
            (_, true) => TransactionKind::TransferIn,
            (_, false) => TransactionKind::TransferOut,
        };
        Ok(Transaction {
            id: decode::uuid(&row.entry_id)?,
            reference: row.reference,
            kind,
            direction: Transaction::direction_of(kind),
            amount: row.amount.abs(),
            currency: row.currency.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            balance_after: row.balance_after.unwrap_or_default(),
            counterparty_number: row.counterparty_number,
            description: row.description,
            created_at: decode::time(&row.created_at)?,
        })
    }
}

/// Up to `fetch` transactions of `account` older than posting `before` (all when `None`),
/// newest first, each with its posting number.
#[tracing::instrument(skip_all)]
pub async fn newest(
    pool: &AnyPool,
    account: Uuid,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<(Option<i64>, Transaction)>, sqlx::Error> {
    let rows: Vec<PostingRow> = match before {
        None => {
            let sql = format!("{SELECT} ORDER BY p.seq DESC LIMIT $2");
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account.to_string()).bind(fetch).fetch_all(pool).await?
        }
        Some(cursor) => {
            let sql = format!("{SELECT} AND p.seq < $2 ORDER BY p.seq DESC LIMIT $3");
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(account.to_string())
                .bind(cursor)
                .bind(fetch)
                .fetch_all(pool)
                .await?
        }
    };
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
