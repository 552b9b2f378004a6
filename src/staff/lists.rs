//! What staff read: the audit chain (filtered), security events, notifications, counts and the
//! job queues.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::Page;
use crate::audit::Entry;
use crate::audit::query::{self, AuditFilter, Direction, json_of};
use crate::db::time;
use crate::error::ApiError;
use crate::identity::store::parse_id;
use crate::state::AppState;

/// Newest first; the cursor is the `seq` the previous page ended at.
pub async fn audit_logs(
    state: &AppState,
    filter: &AuditFilter,
    limit: u32,
    cursor: Option<i64>,
) -> Result<Page<Entry>, ApiError> {
    let mut items = query::page(&state.db, filter, Direction::NewestBefore(cursor), limit + 1).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(|e| e.seq.to_string()) } else { None };
    Ok(Page { items, next_cursor })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecurityEventView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Newest first, optionally of one kind or user; the cursor is the last id.
pub async fn security_events(
    state: &AppState,
    kind: Option<&str>,
    user: Option<Uuid>,
    limit: u32,
    cursor: Option<Uuid>,
) -> Result<Page<SecurityEventView>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, at, kind, user_id, ip, detail FROM security_events \
         WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR user_id = $2) AND ($3 = '' OR id < $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(kind.unwrap_or_default())
    .bind(user.map(|u| u.to_string()).unwrap_or_default())
    .bind(cursor.map(|c| c.to_string()).unwrap_or_default())
    .bind(i64::from(limit) + 1)
    .fetch_all(state.db.reader())
    .await?;
    let more = rows.len() > limit as usize;
    let items: Vec<SecurityEventView> = rows
        .iter()
        .take(limit as usize)
        .map(|row| {
            let user: Option<String> = row.try_get("user_id")?;
            Ok(SecurityEventView {
                id: parse_id(&row.try_get::<String, _>("id")?)?,
                at: time::from_db(&row.try_get::<String, _>("at")?)?,
                kind: row.try_get("kind")?,
                user_id: user.as_deref().map(parse_id).transpose()?,
                ip: row.try_get("ip")?,
                detail: json_of(row.try_get("detail")?).unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let next_cursor = if more { items.last().map(|e| e.id.to_string()) } else { None };
    Ok(Page { items, next_cursor })
}

pub async fn notifications(
    state: &AppState,
    limit: u32,
    cursor: Option<Uuid>,
) -> Result<Page<crate::notifications::Notification>, ApiError> {
    let mut items = crate::notifications::list(&state.db, limit + 1, cursor).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(|n| n.id.to_string()) } else { None };
    Ok(Page { items, next_cursor })
}

/// `GET /v1/admin/stats`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub users_by_status: BTreeMap<String, i64>,
    pub users_by_kyc_status: BTreeMap<String, i64>,
    /// Transfers since midnight UTC.
    pub transfers_today: i64,
    /// Jobs waiting (due now or later) and dead, over every queue.
    pub jobs_queued: u64,
    pub jobs_failed: u64,
}

async fn counts(state: &AppState, sql: &'static str) -> Result<BTreeMap<String, i64>, ApiError> {
    let rows = sqlx::query(sql).fetch_all(state.db.reader()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn stats(state: &AppState) -> Result<Stats, ApiError> {
    let midnight = Utc::now().date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
    let transfers_today: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE kind = 'transfer' AND created_at >= $1")
            .bind(time::to_db(midnight))
            .fetch_one(state.db.reader())
            .await?;
    let overview = state.jobs.overview(0).await.map_err(|e| anyhow::anyhow!("job overview: {e}"))?;
    Ok(Stats {
        users_by_status: counts(state, "SELECT status, COUNT(*) FROM users GROUP BY status").await?,
        users_by_kyc_status: counts(state, "SELECT kyc_status, COUNT(*) FROM users GROUP BY kyc_status").await?,
        transfers_today,
        jobs_queued: overview.queues.iter().map(|q| q.waiting).sum(),
        jobs_failed: overview.queues.iter().map(|q| q.dead).sum(),
    })
}
