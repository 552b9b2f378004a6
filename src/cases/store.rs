//! The `cases` and `case_notes` tables' SQL (a case is opened by the ledger's transaction,
//! `ledger::store::cases`).

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::{Case, CaseStatus, Note, Outcome};
use crate::db::{Dialect, decode, time};

const COLUMNS: &str = "id, kind, status, summary, entry_id, account_id, user_id, assignee_id, outcome, resolved_by, resolved_at, created_at";

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: String,
    kind: String,
    status: String,
    summary: String,
    entry_id: Option<String>,
    account_id: Option<String>,
    user_id: Option<String>,
    assignee_id: Option<String>,
    outcome: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<String>,
    created_at: String,
}

fn opt_uuid(raw: Option<&str>) -> Result<Option<Uuid>, sqlx::Error> {
    raw.map(decode::uuid).transpose()
}

impl TryFrom<CaseRow> for Case {
    type Error = sqlx::Error;

    fn try_from(row: CaseRow) -> Result<Self, sqlx::Error> {
        let status = match row.status.as_str() {
            "open" => CaseStatus::Open,
            _ => CaseStatus::Resolved,
        };
        let outcome = match row.outcome.as_deref() {
            None => None,
            Some("cleared") => Some(Outcome::Cleared),
            Some("reversal_requested") => Some(Outcome::ReversalRequested),
            Some("account_frozen") => Some(Outcome::AccountFrozen),
            Some(other) => return Err(sqlx::Error::Decode(format!("unknown case outcome {other:?}").into())),
        };
        Ok(Self {
            id: decode::uuid(&row.id)?,
            kind: row.kind,
            status,
            summary: row.summary,
            transaction_id: opt_uuid(row.entry_id.as_deref())?,
            account_id: opt_uuid(row.account_id.as_deref())?,
            user_id: opt_uuid(row.user_id.as_deref())?,
            assignee_id: opt_uuid(row.assignee_id.as_deref())?,
            outcome,
            resolved_by: opt_uuid(row.resolved_by.as_deref())?,
            resolved_at: decode::opt_time(row.resolved_at)?,
            created_at: decode::time(&row.created_at)?,
        })
    }
}

/// Newest first, filtered, before the id `before`.
#[tracing::instrument(skip_all)]
pub async fn page(
    pool: &AnyPool,
    status: Option<CaseStatus>,
    assignee: Option<Uuid>,
    before: Option<Uuid>,
    fetch: i64,
) -> Result<Vec<Case>, sqlx::Error> {
    let mut sql = format!("SELECT {COLUMNS} FROM cases WHERE 1 = 1");
    let mut binds = Vec::new();
    for (column, op, value) in [
        ("status", "=", status.map(|s| s.as_str().to_owned())),
        ("assignee_id", "=", assignee.map(|a| a.to_string())),
        ("id", "<", before.map(|b| b.to_string())),
    ] {
        if let Some(value) = value {
            binds.push(value);
            sql.push_str(&format!(" AND {column} {op} ${}", binds.len()));
        }
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = query.bind(bind);
    }
    query.fetch_all(pool).await?.into_iter().map(Case::try_from).collect()
}

/// One case; with `lock`, locked until commit (PostgreSQL).
#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut AnyConnection, id: Uuid, lock: bool) -> Result<Option<Case>, sqlx::Error> {
    let lock = if lock { Dialect::of(conn).for_update() } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE id = $1{lock}");
    let row: Option<CaseRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.map(Case::try_from).transpose()
}

pub async fn get(pool: &AnyPool, id: Uuid) -> Result<Option<Case>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE id = $1");
    let row: Option<CaseRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.map(Case::try_from).transpose()
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: String,
    author_id: Option<String>,
    text: String,
    created_at: String,
}

/// A case's notes, oldest first.
pub async fn notes(pool: &AnyPool, case: Uuid) -> Result<Vec<Note>, sqlx::Error> {
    let rows: Vec<NoteRow> =
        sqlx::query_as("SELECT id, author_id, text, created_at FROM case_notes WHERE case_id = $1 ORDER BY id")
            .bind(case.to_string())
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Note {
                id: decode::uuid(&row.id)?,
                author_id: opt_uuid(row.author_id.as_deref())?,
                text: row.text,
                created_at: decode::time(&row.created_at)?,
            })
        })
        .collect()
}

pub async fn add_note(
    conn: &mut AnyConnection,
    case: Uuid,
    author: Option<Uuid>,
    text: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO case_notes (id, case_id, author_id, text, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.to_string())
        .bind(case.to_string())
        .bind(author.map(|a| a.to_string()))
        .bind(text)
        .bind(time::to_db(time::now()))
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn assign(conn: &mut AnyConnection, case: Uuid, assignee: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE cases SET assignee_id = $1 WHERE id = $2")
        .bind(assignee.to_string())
        .bind(case.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Resolves an open case; false when it was resolved meanwhile.
pub async fn resolve(
    conn: &mut AnyConnection,
    case: Uuid,
    outcome: Outcome,
    by: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cases SET status = 'resolved', outcome = $1, resolved_by = $2, resolved_at = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(outcome.as_str())
    .bind(by.map(|b| b.to_string()))
    .bind(time::to_db(time::now()))
    .bind(case.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn open_count(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status = 'open'").fetch_one(pool).await
}
