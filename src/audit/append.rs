//! Appending links inside the caller's transaction, and staging entries for the linker.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::chain::Link;
use super::{Actor, Entry, Event};
use crate::db::insert::Insert;
use crate::db::{Dialect, time};

/// An entry's stored text columns, before it is linked (its own and the previous hash).
pub(super) struct Staged {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl Staged {
    fn new(id: Uuid, at: &str, actor: &Actor, event: &Event) -> Self {
        Self {
            id: id.to_string(),
            at: at.to_owned(),
            actor_id: actor.user_id.map(|u| u.to_string()),
            action: event.action.to_owned(),
            target_type: event.target_type.to_owned(),
            target_id: event.target_id.clone(),
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            old_value: event.old.as_ref().map(serde_json::Value::to_string),
            new_value: event.new.as_ref().map(serde_json::Value::to_string),
        }
    }

    fn hash(&self, seq: i64, prev_hash: &str) -> String {
        Link {
            seq,
            id: &self.id,
            at: &self.at,
            actor_id: self.actor_id.as_deref(),
            action: &self.action,
            target_type: &self.target_type,
            target_id: self.target_id.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            old_value: self.old_value.as_deref(),
            new_value: self.new_value.as_deref(),
            prev_hash,
        }
        .hash()
    }
}

/// Appends `event` to the chain in the caller's transaction: if the change it describes rolls
/// back, so does its audit entry.
pub async fn append(
    conn: &mut AnyConnection,
    dialect: Dialect,
    actor: &Actor,
    event: Event,
) -> Result<Entry, sqlx::Error> {
    let mut entries = append_many(conn, dialect, vec![(actor, event)]).await?;
    entries.pop().ok_or(sqlx::Error::RowNotFound)
}

/// Appends several events in order with one head lock and one multi-row insert. Appends are
/// serialized by locking the chain head (SQLite's write transaction already holds the database
/// lock), so two writers cannot fork the chain.
#[tracing::instrument(skip_all, fields(count = events.len()))]
pub async fn append_many(
    conn: &mut AnyConnection,
    dialect: Dialect,
    events: Vec<(&Actor, Event)>,
) -> Result<Vec<Entry>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let at = time::now();
    let at_text = time::to_db(at);
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    let staged: Vec<Staged> =
        ids.iter().zip(&events).map(|(id, (actor, event))| Staged::new(*id, &at_text, actor, event)).collect();
    let (first, hashes) = link(conn, dialect, &staged).await?;
    let entries = events
        .into_iter()
        .zip(ids)
        .zip(hashes)
        .zip(first..)
        .map(|((((actor, event), id), hash), seq)| Entry {
            seq,
            id,
            at,
            actor_id: actor.user_id,
            action: event.action.to_owned(),
            target_type: event.target_type.to_owned(),
            target_id: event.target_id,
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            old: event.old,
            new: event.new,
            hash,
        })
        .collect();
    Ok(entries)
}

/// The `audit_pending` rows of `events`, for the caller to insert in its transaction: staged
/// entries take no chain head, commit (or roll back) with the change they describe, and the
/// linker chains them soon after (see [`super::link_pending`]). For paths where the head lock
/// would serialize commits.
pub fn staged_rows(events: Vec<(&Actor, Event)>) -> Insert {
    let at_text = time::to_db(time::now());
    let staged: Vec<Staged> =
        events.iter().map(|(actor, event)| Staged::new(Uuid::now_v7(), &at_text, actor, event)).collect();
    let mut rows = Insert::new(
        "audit_pending",
        &["id", "at", "actor_id", "action", "target_type", "target_id", "ip", "user_agent", "old_value", "new_value"],
    );
    for row in staged {
        rows.row([
            row.id.into(),
            row.at.into(),
            row.actor_id.into(),
            row.action.into(),
            row.target_type.into(),
            row.target_id.into(),
            row.ip.into(),
            row.user_agent.into(),
            row.old_value.into(),
            row.new_value.into(),
        ]);
    }
    rows
}

/// Links `staged` after the current head, in order: locks the head, inserts the links and moves
/// the head. Answers the first new sequence number and each link's hash.
pub(super) async fn link(
    conn: &mut AnyConnection,
    dialect: Dialect,
    staged: &[Staged],
) -> Result<(i64, Vec<String>), sqlx::Error> {
    let head_sql = match dialect {
        Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let head = sqlx::query(head_sql).fetch_one(&mut *conn).await?;
    let head_seq: i64 = head.try_get("seq")?;
    let mut prev_hash: String = head.try_get("hash")?;
    let mut rows = Insert::new(
        "audit_log",
        &[
            "seq",
            "id",
            "at",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "ip",
            "user_agent",
            "old_value",
            "new_value",
            "prev_hash",
            "hash",
        ],
    );
    let mut hashes = Vec::with_capacity(staged.len());
    for (row, seq) in staged.iter().zip(head_seq + 1..) {
        let hash = row.hash(seq, &prev_hash);
        rows.row([
            seq.into(),
            row.id.clone().into(),
            row.at.clone().into(),
            row.actor_id.clone().into(),
            row.action.clone().into(),
            row.target_type.clone().into(),
            row.target_id.clone().into(),
            row.ip.clone().into(),
            row.user_agent.clone().into(),
            row.old_value.clone().into(),
            row.new_value.clone().into(),
            std::mem::replace(&mut prev_hash, hash.clone()).into(),
            hash.clone().into(),
        ]);
        hashes.push(hash);
    }
    rows.execute(&mut *conn).await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head_seq + staged.len() as i64)
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok((head_seq + 1, hashes))
}
