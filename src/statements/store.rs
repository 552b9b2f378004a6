//! The `statements` table: built statements with their sealed files.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::model::{Period, Statement, StatementFormat};
use crate::db::{decode, time};

const COLUMNS: &str = "id, account_id, period, opening_balance, closing_balance, postings, partial, created_at";

#[derive(sqlx::FromRow)]
struct StatementRow {
    id: String,
    account_id: String,
    period: String,
    opening_balance: i64,
    closing_balance: i64,
    postings: i64,
    partial: i64,
    created_at: String,
}

impl TryFrom<StatementRow> for Statement {
    type Error = sqlx::Error;

    fn try_from(row: StatementRow) -> Result<Self, sqlx::Error> {
        Ok(Statement {
            id: decode::uuid(&row.id)?,
            account_id: decode::uuid(&row.account_id)?,
            period: row.period.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            opening_balance: row.opening_balance,
            closing_balance: row.closing_balance,
            postings: row.postings,
            partial: row.partial != 0,
            created_at: decode::time(&row.created_at)?,
        })
    }
}

/// A built statement and its sealed files.
pub struct NewStatement<'a> {
    pub statement: &'a Statement,
    pub user_id: Uuid,
    pub csv_sealed: &'a str,
    pub pdf_sealed: &'a str,
}

/// Stores the statement unless a complete one of its account and period exists (a partial one
/// is replaced). `false` when nothing was written.
#[tracing::instrument(skip_all)]
pub async fn save(conn: &mut AnyConnection, new: &NewStatement<'_>) -> Result<bool, sqlx::Error> {
    let s = new.statement;
    let done = sqlx::query(
        "INSERT INTO statements (id, account_id, user_id, period, opening_balance, closing_balance, postings, \
         partial, csv_sealed, pdf_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (account_id, period) DO UPDATE SET id = excluded.id, opening_balance = excluded.opening_balance, \
         closing_balance = excluded.closing_balance, postings = excluded.postings, partial = excluded.partial, \
         csv_sealed = excluded.csv_sealed, pdf_sealed = excluded.pdf_sealed, created_at = excluded.created_at \
         WHERE statements.partial = 1",
    )
    .bind(s.id.to_string())
    .bind(s.account_id.to_string())
    .bind(new.user_id.to_string())
    .bind(s.period.to_string())
    .bind(s.opening_balance)
    .bind(s.closing_balance)
    .bind(s.postings)
    .bind(i64::from(s.partial))
    .bind(new.csv_sealed)
    .bind(new.pdf_sealed)
    .bind(time::to_db(s.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a complete statement of the account and period exists.
pub async fn complete(pool: &AnyPool, account: Uuid, period: Period) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT partial FROM statements WHERE account_id = $1 AND period = $2")
        .bind(account.to_string())
        .bind(period.to_string())
        .fetch_optional(pool)
        .await?;
    Ok(found == Some(0))
}

/// An account's statements, newest period first.
#[tracing::instrument(skip_all)]
pub async fn list(pool: &AnyPool, account: Uuid) -> Result<Vec<Statement>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM statements WHERE account_id = $1 ORDER BY period DESC LIMIT 240");
    let rows: Vec<StatementRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account.to_string()).fetch_all(pool).await?;
    rows.into_iter().map(Statement::try_from).collect()
}

/// One statement of the account, with its owner.
pub async fn get(pool: &AnyPool, account: Uuid, id: Uuid) -> Result<Option<Statement>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM statements WHERE account_id = $1 AND id = $2");
    let row: Option<StatementRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(Statement::try_from).transpose()
}

/// The sealed file of a statement of `user`'s, with its period and account.
pub async fn sealed(
    pool: &AnyPool,
    id: Uuid,
    user: Uuid,
    format: StatementFormat,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let column = match format {
        StatementFormat::Pdf => "pdf_sealed",
        StatementFormat::Csv => "csv_sealed",
    };
    let sql = format!("SELECT period, {column} FROM statements WHERE id = $1 AND user_id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).bind(user.to_string()).fetch_optional(pool).await
}

/// The customer accounts opened before `until`, with their owners: `(id, owner)`.
pub async fn accounts_before(pool: &AnyPool, until: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id FROM accounts WHERE is_system = 0 AND user_id IS NOT NULL AND created_at < $1 ORDER BY id",
    )
    .bind(until)
    .fetch_all(pool)
    .await
}
