//! Appending a link inside the caller's transaction.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::chain::Link;
use super::{Actor, Entry, Event};
use crate::db::{Dialect, time};

/// Appends `event` to the chain in the caller's transaction: if the change it describes rolls
/// back, so does its audit entry. Appends are serialized by locking the chain head (SQLite's
/// write transaction already holds the database lock), so two writers cannot fork the chain.
#[tracing::instrument(skip_all, fields(action = event.action))]
pub async fn append(
    conn: &mut AnyConnection,
    dialect: Dialect,
    actor: &Actor,
    event: Event,
) -> Result<Entry, sqlx::Error> {
    let head_sql = match dialect {
        Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let head = sqlx::query(head_sql).fetch_one(&mut *conn).await?;
    let prev_seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;

    let id = Uuid::now_v7();
    let at = time::now();
    let seq = prev_seq + 1;
    let (id_text, at_text) = (id.to_string(), time::to_db(at));
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

    sqlx::query(
        "INSERT INTO audit_log (seq, id, at, actor_id, action, target_type, target_id, ip, \
         user_agent, old_value, new_value, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(seq)
    .bind(&id_text)
    .bind(&at_text)
    .bind(&actor_text)
    .bind(event.action)
    .bind(event.target_type)
    .bind(&event.target_id)
    .bind(&actor.ip)
    .bind(&actor.user_agent)
    .bind(&old_text)
    .bind(&new_text)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;

    Ok(Entry {
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
}
