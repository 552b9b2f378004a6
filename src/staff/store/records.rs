//! The records staff read that no other capability lists: security events and counts.

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::db::time;

/// A `security_events` row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct SecurityEventRow {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// Up to `limit` events, newest first, of `kind` and `user` when given, below `before`.
#[tracing::instrument(skip_all)]
pub async fn security_events(
    pool: &AnyPool,
    kind: Option<&str>,
    user: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SecurityEventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, kind, user_id, ip, detail FROM security_events \
         WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR user_id = $2) AND ($3 = '' OR id < $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(kind.unwrap_or_default())
    .bind(user.map(|u| u.to_string()).unwrap_or_default())
    .bind(before.map(|c| c.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
struct CountRow {
    value: String,
    count: i64,
}

/// Which user column [`users_by`] groups on.
#[derive(Clone, Copy, Debug)]
pub enum UserColumn {
    Status,
    KycStatus,
}

/// How many users have each value of `column`.
#[tracing::instrument(skip_all)]
pub async fn users_by(pool: &AnyPool, column: UserColumn) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = match column {
        UserColumn::Status => "SELECT status AS value, COUNT(*) AS count FROM users GROUP BY status",
        UserColumn::KycStatus => "SELECT kyc_status AS value, COUNT(*) AS count FROM users GROUP BY kyc_status",
    };
    let rows: Vec<CountRow> = sqlx::query_as(sql).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.value, r.count)).collect())
}

/// Transfers booked at or after `since`.
#[tracing::instrument(skip_all)]
pub async fn transfers_since(pool: &AnyPool, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE kind = 'transfer' AND created_at >= $1")
        .bind(time::to_db(since))
        .fetch_one(pool)
        .await
}

/// Transfers booked per UTC day at or after `since`, oldest day first (days without any are
/// left out).
#[tracing::instrument(skip_all)]
pub async fn transfers_per_day(pool: &AnyPool, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows: Vec<CountRow> = sqlx::query_as(
        "SELECT SUBSTR(created_at, 1, 10) AS value, COUNT(*) AS count FROM journal_entries \
         WHERE kind = 'transfer' AND created_at >= $1 GROUP BY SUBSTR(created_at, 1, 10) ORDER BY value",
    )
    .bind(time::to_db(since))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.value, r.count)).collect())
}

/// When each KYC submission still awaiting review was submitted.
#[tracing::instrument(skip_all)]
pub async fn kyc_waiting_since(pool: &AnyPool) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT s.submitted_at FROM kyc_submissions s LEFT JOIN kyc_reviews r ON r.submission_id = s.id \
         WHERE r.submission_id IS NULL",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(|raw| time::from_db(raw)).collect()
}

/// Open cases by kind.
#[tracing::instrument(skip_all)]
pub async fn open_cases_by_kind(pool: &AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows: Vec<CountRow> = sqlx::query_as(
        "SELECT kind AS value, COUNT(*) AS count FROM cases WHERE status = 'open' GROUP BY kind ORDER BY kind",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.value, r.count)).collect())
}
