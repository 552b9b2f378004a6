//! Appending links inside the caller's transaction.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::chain::Link;
use super::{Actor, Entry, Event};
use crate::db::{Dialect, batch, time};

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

/// Appends several events in order with one head lock and one multi-row insert (the ledger's
/// group commits write one entry per money movement). Appends are serialized by locking the
/// chain head (SQLite's write transaction already holds the database lock), so two writers
/// cannot fork the chain.
#[tracing::instrument(skip_all, fields(count = events.len()))]
pub async fn append_many(
    conn: &mut AnyConnection,
    dialect: Dialect,
    events: Vec<(&Actor, Event)>,
) -> Result<Vec<Entry>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head_sql = match dialect {
        Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let head = sqlx::query(head_sql).fetch_one(&mut *conn).await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev_hash: String = head.try_get("hash")?;

    let at = time::now();
    let at_text = time::to_db(at);
    let mut rows = Vec::with_capacity(events.len());
    for (actor, event) in events {
        seq += 1;
        let id = Uuid::now_v7();
        let id_text = id.to_string();
        let actor_text = actor.user_id.map(|u| u.to_string());
        let old_text = event.old.as_ref().map(serde_json::Value::to_string);
        let new_text = event.new.as_ref().map(serde_json::Value::to_string);
        let hash = Link {
            seq,
            id: &id_text,
            at: &at_text,
            actor_id: actor_text.as_deref(),
            action: event.action,
            target_type: event.target_type,
            target_id: event.target_id.as_deref(),
            ip: actor.ip.as_deref(),
            user_agent: actor.user_agent.as_deref(),
            old_value: old_text.as_deref(),
            new_value: new_text.as_deref(),
            prev_hash: &prev_hash,
        }
        .hash();
        let entry = Entry {
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
            hash: hash.clone(),
        };
        rows.push((entry, id_text, actor_text, old_text, new_text, std::mem::replace(&mut prev_hash, hash)));
    }

    let sql = format!(
        "INSERT INTO audit_log (seq, id, at, actor_id, action, target_type, target_id, ip, user_agent, \
         old_value, new_value, prev_hash, hash) VALUES {}",
        batch::values(rows.len(), 13)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (entry, id_text, actor_text, old_text, new_text, prev) in &rows {
        query = query
            .bind(entry.seq)
            .bind(id_text.clone())
            .bind(at_text.clone())
            .bind(actor_text.clone())
            .bind(entry.action.clone())
            .bind(entry.target_type.clone())
            .bind(entry.target_id.clone())
            .bind(entry.ip.clone())
            .bind(entry.user_agent.clone())
            .bind(old_text.clone())
            .bind(new_text.clone())
            .bind(prev.clone())
            .bind(entry.hash.clone());
    }
    query.execute(&mut *conn).await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}
