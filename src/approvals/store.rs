//! The `approval_requests` table's SQL. (Approving a reversal is written by the ledger's
//! committing transaction, `ledger::store::reversals::approve`.)

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::{ApprovalKind, ApprovalRequest, ApprovalStatus};
use crate::db::{Dialect, decode, time};

const COLUMNS: &str = "id, kind, target_type, target_id, requested_by, reason, status, created_at, decided_by, \
     decided_at, decision_note";

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    kind: String,
    target_type: String,
    target_id: String,
    requested_by: String,
    reason: String,
    status: String,
    created_at: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
}

impl TryFrom<RequestRow> for ApprovalRequest {
    type Error = sqlx::Error;

    fn try_from(row: RequestRow) -> Result<Self, sqlx::Error> {
        let bad = |what: &str, raw: &str| sqlx::Error::Decode(format!("unknown approval {what} {raw:?}").into());
        let kind = match row.kind.as_str() {
            "reversal" => ApprovalKind::Reversal,
            "mfa_reset" => ApprovalKind::MfaReset,
            other => return Err(bad("kind", other)),
        };
        let status = match row.status.as_str() {
            "pending" => ApprovalStatus::Pending,
            "approved" => ApprovalStatus::Approved,
            "rejected" => ApprovalStatus::Rejected,
            other => return Err(bad("status", other)),
        };
        Ok(Self {
            id: decode::uuid(&row.id)?,
            kind,
            target: decode::uuid(&row.target_id)?,
            target_type: row.target_type,
            requested_by: decode::uuid(&row.requested_by)?,
            reason: row.reason,
            status,
            created_at: decode::time(&row.created_at)?,
            decided_by: row.decided_by.as_deref().map(decode::uuid).transpose()?,
            decided_at: decode::opt_time(row.decided_at)?,
            decision_note: row.decision_note,
        })
    }
}

/// Inserts a pending request; `None` when one is pending already for the same action and
/// target (the partial unique index says so).
#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut AnyConnection,
    kind: ApprovalKind,
    target: Uuid,
    requested_by: Uuid,
    reason: &str,
) -> Result<Option<ApprovalRequest>, sqlx::Error> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO approval_requests (id, kind, target_type, target_id, requested_by, reason, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
    )
    .bind(id.to_string())
    .bind(kind.as_str())
    .bind(kind.target_type())
    .bind(target.to_string())
    .bind(requested_by.to_string())
    .bind(reason)
    .bind(time::to_db(time::now()))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => find(conn, id, false).await,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(error) => Err(error),
    }
}

/// One request; with `lock`, its row is locked until commit (PostgreSQL).
#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut AnyConnection, id: Uuid, lock: bool) -> Result<Option<ApprovalRequest>, sqlx::Error> {
    let lock = if lock { Dialect::of(conn).for_update() } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM approval_requests WHERE id = $1{lock}");
    let row: Option<RequestRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.map(ApprovalRequest::try_from).transpose()
}

/// One request, from the pool.
#[tracing::instrument(skip_all)]
pub async fn get(pool: &AnyPool, id: Uuid) -> Result<Option<ApprovalRequest>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM approval_requests WHERE id = $1");
    let row: Option<RequestRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.map(ApprovalRequest::try_from).transpose()
}

/// Newest first, optionally of one status, before the id `before`.
#[tracing::instrument(skip_all)]
pub async fn page(
    pool: &AnyPool,
    status: Option<ApprovalStatus>,
    before: Option<Uuid>,
    fetch: i64,
) -> Result<Vec<ApprovalRequest>, sqlx::Error> {
    let mut sql = format!("SELECT {COLUMNS} FROM approval_requests WHERE 1 = 1");
    let mut binds = Vec::new();
    if let Some(status) = status {
        binds.push(status.as_str().to_owned());
        sql.push_str(&format!(" AND status = ${}", binds.len()));
    }
    if let Some(before) = before {
        binds.push(before.to_string());
        sql.push_str(&format!(" AND id < ${}", binds.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = query.bind(bind);
    }
    query.fetch_all(pool).await?.into_iter().map(ApprovalRequest::try_from).collect()
}

/// Decides a pending request; false when it was decided meanwhile.
#[tracing::instrument(skip_all)]
pub async fn decide(
    conn: &mut AnyConnection,
    id: Uuid,
    status: ApprovalStatus,
    decided_by: Uuid,
    note: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approval_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(decided_by.to_string())
    .bind(time::to_db(time::now()))
    .bind(note)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending requests (for the metrics).
pub async fn pending_count(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM approval_requests WHERE status = 'pending'").fetch_one(pool).await
}

/// A user's status (`active`, `deleted`, …), `None` when there is no such user.
pub async fn user_status(pool: &AnyPool, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM users WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await
}
