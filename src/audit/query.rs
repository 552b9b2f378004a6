//! Reading the chain back: entries matching a filter, in pages keyed by `seq` — newest first for
//! staff browsing (`GET /v1/admin/audit-logs`), oldest first for exports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::Entry;
use crate::db::{Db, time};

/// Which entries: by the user who acted or the user acted on, by action, by time (`from`
/// inclusive, `to` exclusive). Empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Where a page starts and which way it runs.
#[derive(Clone, Copy, Debug)]
pub enum Direction {
    /// Newest first, below `seq` when given.
    NewestBefore(Option<i64>),
    /// Oldest first, above `seq`.
    OldestAfter(i64),
}

fn parse_id(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub fn json_of(raw: Option<String>) -> Option<serde_json::Value> {
    raw.and_then(|r| serde_json::from_str(&r).ok())
}

fn entry(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    let actor: Option<String> = row.try_get("actor_id")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        at: time::from_db(&row.try_get::<String, _>("at")?)?,
        actor_id: actor.as_deref().map(parse_id).transpose()?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        old: json_of(row.try_get("old_value")?),
        new: json_of(row.try_get("new_value")?),
        hash: row.try_get("hash")?,
    })
}

/// Up to `limit` entries matching `filter`, in `direction`, after linking what is staged (so a
/// reader sees every committed change).
pub async fn page(db: &Db, filter: &AuditFilter, direction: Direction, limit: u32) -> Result<Vec<Entry>, sqlx::Error> {
    super::link_pending(db).await?;
    let mut clauses = vec!["1 = 1".to_owned()];
    let mut binds: Vec<String> = Vec::new();
    let mut place = |value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(user) = filter.user_id {
        let p = place(user.to_string());
        clauses.push(format!("(actor_id = {p} OR (target_type = 'user' AND target_id = {p}))"));
    }
    if let Some(action) = &filter.action {
        clauses.push(format!("action = {}", place(action.clone())));
    }
    if let Some(from) = filter.from {
        clauses.push(format!("at >= {}", place(time::to_db(from))));
    }
    if let Some(to) = filter.to {
        clauses.push(format!("at < {}", place(time::to_db(to))));
    }
    // `seq` is bound as an integer, after the text values.
    let (seq, order) = match direction {
        Direction::NewestBefore(before) => (before.map(|s| ("<", s)), "DESC"),
        Direction::OldestAfter(after) => (Some((">", after)), "ASC"),
    };
    if let Some((op, _)) = seq {
        clauses.push(format!("seq {op} ${}", binds.len() + 1));
    }
    let sql = format!(
        "SELECT seq, id, at, actor_id, action, target_type, target_id, ip, user_agent, old_value, new_value, hash \
         FROM audit_log WHERE {} ORDER BY seq {order} LIMIT {}",
        clauses.join(" AND "),
        i64::from(limit)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    if let Some((_, value)) = seq {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db.reader()).await?;
    rows.iter().map(entry).collect()
}
