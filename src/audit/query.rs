//! Reading the chain back: entries matching a filter, in pages keyed by `seq` — newest first for
//! staff browsing (`GET /v1/admin/audit-logs`), oldest first for exports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Entry;
use super::store::{self, LinkRow, PageQuery};
use crate::db::{Db, decode, time};

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

pub fn json_of(raw: Option<String>) -> Option<serde_json::Value> {
    raw.and_then(|r| serde_json::from_str(&r).ok())
}

fn entry(row: LinkRow) -> Result<Entry, sqlx::Error> {
    let staged = row.entry;
    Ok(Entry {
        seq: row.seq,
        id: decode::uuid(&staged.id)?,
        at: decode::time(&staged.at)?,
        actor_id: staged.actor_id.as_deref().map(decode::uuid).transpose()?,
        action: staged.action,
        target_type: staged.target_type,
        target_id: staged.target_id,
        ip: staged.ip,
        user_agent: staged.user_agent,
        old: json_of(staged.old_value),
        new: json_of(staged.new_value),
        hash: row.hash,
    })
}

/// Up to `limit` entries matching `filter`, in `direction`, after linking what is staged (so a
/// reader sees every committed change).
pub(super) async fn page(
    db: &Db,
    filter: &AuditFilter,
    direction: Direction,
    limit: u32,
) -> Result<Vec<Entry>, sqlx::Error> {
    super::linker::link_pending(db).await?;
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
    let rows = store::entries(db.reader(), PageQuery { clauses, texts: binds, seq, order, limit }).await?;
    rows.into_iter().map(entry).collect()
}
