//! Accounts as staff see them: any customer's, found by number or owner email, with their
//! owner; the row locked for a status change; and an entry with its postings, for reversing it.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::accounts::AccountRow;
use crate::db::{Dialect, decode};
use crate::ledger::account::{Account, AccountStatus};
use crate::ledger::staff_view::{AccountFilter, Owner, StaffAccount};

const SELECT: &str = "SELECT a.id, a.user_id, a.number, a.kind, a.currency, a.balance, a.held, a.status, a.created_at, \
     a.version, u.email, u.full_name FROM accounts a LEFT JOIN users u ON u.id = a.user_id WHERE a.is_system = 0";

#[derive(sqlx::FromRow)]
struct StaffRow {
    #[sqlx(flatten)]
    account: AccountRow,
    version: i64,
    email: Option<String>,
    full_name: Option<String>,
}

impl StaffRow {
    fn decode(self) -> Result<(StaffAccount, i64), sqlx::Error> {
        let account = Account::try_from(self.account)?;
        let owner = account.user_id.map(|user_id| Owner { user_id, email: self.email, full_name: self.full_name });
        Ok((StaffAccount { account, owner, open_holds: None }, self.version))
    }
}

/// Up to `fetch` accounts matching `filter`, oldest first, after the account `after`.
#[tracing::instrument(skip_all)]
pub async fn search(
    pool: &AnyPool,
    filter: &AccountFilter,
    after: Option<Uuid>,
    fetch: i64,
) -> Result<Vec<StaffAccount>, sqlx::Error> {
    let mut sql = String::from(SELECT);
    let mut binds: Vec<String> = Vec::new();
    let next = |binds: &mut Vec<String>, value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(q) = filter.q.as_deref() {
        let digits: String = q.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            let p = next(&mut binds, format!("{digits}%"));
            sql.push_str(&format!(" AND a.number LIKE {p}"));
        } else {
            let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let p = next(&mut binds, format!("%{escaped}%"));
            sql.push_str(&format!(" AND LOWER(u.email) LIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(user) = filter.user_id {
        let p = next(&mut binds, user.to_string());
        sql.push_str(&format!(" AND a.user_id = {p}"));
    }
    if let Some(status) = filter.status {
        let p = next(&mut binds, status.as_str().to_owned());
        sql.push_str(&format!(" AND a.status = {p}"));
    }
    if let Some(after) = after {
        let p = next(&mut binds, after.to_string());
        sql.push_str(&format!(" AND a.id > {p}"));
    }
    // Column names and the shape come from the code; every value is bound.
    sql.push_str(&format!(" ORDER BY a.id LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    query.fetch_all(pool).await?.into_iter().map(|row| Ok(row.decode()?.0)).collect()
}

/// Any customer account by id.
#[tracing::instrument(skip_all)]
pub async fn one(pool: &AnyPool, id: Uuid) -> Result<Option<StaffAccount>, sqlx::Error> {
    let sql = format!("{SELECT} AND a.id = $1");
    let row: Option<StaffRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.map(|row| Ok(row.decode()?.0)).transpose()
}

/// The account read under a row lock (PostgreSQL; SQLite's write transaction holds the
/// database), with its version.
#[tracing::instrument(skip_all)]
pub async fn locked(conn: &mut AnyConnection, id: Uuid) -> Result<Option<(StaffAccount, i64)>, sqlx::Error> {
    let for_update = match Dialect::of(conn) {
        Dialect::Postgres => " FOR UPDATE OF a",
        Dialect::Sqlite => "",
    };
    let sql = format!("{SELECT} AND a.id = $1{for_update}");
    let row: Option<StaffRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.map(StaffRow::decode).transpose()
}

/// Sets the status at `version`, bumping it: every actor holding the account in its cache
/// fails its next fence and reads the account again. Closing also needs a zero balance.
#[tracing::instrument(skip_all)]
pub async fn set_status(
    conn: &mut AnyConnection,
    id: Uuid,
    version: i64,
    status: AccountStatus,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET status = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status <> 'closed' AND ($1 <> 'closed' OR balance = 0)",
    )
    .bind(status.as_str())
    .bind(id.to_string())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One leg of an entry.
#[derive(Debug, sqlx::FromRow)]
pub struct LegRow {
    pub entry_id: String,
    pub reference: String,
    pub currency: String,
    pub account_id: String,
    pub number: String,
    pub is_system: i64,
    pub amount: i64,
    /// The entry is itself a reversal.
    pub reverses: Option<String>,
    pub reversed_by: Option<String>,
}

/// The postings of the entry `id` with what reversing it needs; empty when there is none.
#[tracing::instrument(skip_all)]
pub async fn legs(pool: &AnyPool, id: Uuid) -> Result<Vec<LegRow>, sqlx::Error> {
    let rows: Vec<LegRow> = sqlx::query_as(
        "SELECT e.id AS entry_id, e.reference, e.currency, p.account_id, a.number, a.is_system, p.amount, \
         rv.reverses AS reverses, rb.entry_id AS reversed_by \
         FROM journal_entries e JOIN postings p ON p.entry_id = e.id JOIN accounts a ON a.id = p.account_id \
         LEFT JOIN reversals rv ON rv.entry_id = e.id LEFT JOIN reversals rb ON rb.reverses = e.id \
         WHERE e.id = $1 ORDER BY p.amount",
    )
    .bind(id.to_string())
    .fetch_all(pool)
    .await?;
    for row in &rows {
        decode::uuid(&row.account_id)?;
    }
    Ok(rows)
}
