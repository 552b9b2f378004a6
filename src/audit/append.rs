//! Appending links inside the caller's transaction, and staging entries for the linker.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::staged::Staged;
use super::{Actor, Entry, Event, store};
use crate::db::insert::Insert;
use crate::db::time;

/// Appends `event` to the chain in the caller's transaction: if the change it describes rolls
/// back, so does its audit entry.
pub async fn record(conn: &mut AnyConnection, actor: &Actor, event: Event) -> Result<Entry, sqlx::Error> {
    let mut entries = record_many(conn, vec![(actor, event)]).await?;
    entries.pop().ok_or(sqlx::Error::RowNotFound)
}

/// Appends several events in order with one head lock and one multi-row insert. Appends are
/// serialized by locking the chain head (SQLite's write transaction already holds the database
/// lock), so two writers cannot fork the chain.
#[tracing::instrument(skip_all, fields(count = events.len()))]
pub async fn record_many(conn: &mut AnyConnection, events: Vec<(&Actor, Event)>) -> Result<Vec<Entry>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let at = time::now();
    let at_text = time::to_db(at);
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    let staged: Vec<Staged> =
        ids.iter().zip(&events).map(|(id, (actor, event))| Staged::new(*id, &at_text, actor, event)).collect();
    let (first, hashes) = link(conn, &staged).await?;
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
/// linker chains them soon after (see [`super::Audit::link_pending`]). For paths where the head lock
/// would serialize commits.
pub fn staged_rows(events: Vec<(&Actor, Event)>) -> Insert {
    let at_text = time::to_db(time::now());
    let mut rows = store::pending_rows();
    for (actor, event) in &events {
        let row = Staged::new(Uuid::now_v7(), &at_text, actor, event);
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
pub(super) async fn link(conn: &mut AnyConnection, staged: &[Staged]) -> Result<(i64, Vec<String>), sqlx::Error> {
    let head = store::lock_head(&mut *conn).await?;
    let mut prev_hash = head.hash;
    let mut rows = store::link_rows();
    let mut hashes = Vec::with_capacity(staged.len());
    for (row, seq) in staged.iter().zip(head.seq + 1..) {
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
    store::insert_links(&mut *conn, rows).await?;
    store::move_head(&mut *conn, head.seq + staged.len() as i64, &prev_hash).await?;
    Ok((head.seq + 1, hashes))
}
