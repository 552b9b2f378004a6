//! What an account's actor caches between commits, read afresh inside the committing
//! transaction: the account's row and what has left it today, in one statement.

use chrono::{NaiveDate, NaiveTime};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::time;
use crate::ledger::account::AccountStatus;
use crate::ledger::flags::Velocity;
use crate::ledger::plan::Snapshot;

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    number: String,
    balance: i64,
    held: i64,
    version: i64,
    status: String,
    outgoing_today: i64,
}

/// The account's row and what has left it since the start of `today` (UTC).
#[tracing::instrument(skip_all)]
pub async fn load(conn: &mut AnyConnection, account: Uuid, today: NaiveDate) -> Result<Snapshot, sqlx::Error> {
    let since = time::to_db(today.and_time(NaiveTime::MIN).and_utc());
    let row: SnapshotRow = sqlx::query_as(
        "SELECT number, balance, held, version, status, \
         (SELECT CAST(COALESCE(SUM(-p.amount), 0) AS BIGINT) FROM postings p \
          WHERE p.account_id = accounts.id AND p.amount < 0 AND p.created_at >= $2 \
          AND NOT EXISTS (SELECT 1 FROM reversals r WHERE r.entry_id = p.entry_id)) AS outgoing_today \
         FROM accounts WHERE id = $1",
    )
    .bind(account.to_string())
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Snapshot {
        account,
        balance: row.balance,
        held: row.held,
        version: row.version,
        status: AccountStatus::parse(&row.status)?,
        day: today,
        outgoing_today: row.outgoing_today,
        velocity: Velocity::default(),
        number: row.number,
    })
}
