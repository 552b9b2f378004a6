//! The outbox's SQL: writing events, the relay's lease and position, reading the live feed.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::{Event, EventType, NewEvent};
use crate::db::insert::Insert;
use crate::db::{Dialect, batch, decode, time};

const COLUMNS: &[&str] =
    &["id", "type", "aggregate_type", "aggregate_id", "aggregate_seq", "owner_user_id", "data", "created_at"];

pub fn empty_rows() -> Insert {
    Insert::new("events", COLUMNS)
}

pub fn push_row(rows: &mut Insert, id: Uuid, event: &NewEvent, at: &str) {
    rows.row([
        id.to_string().into(),
        event.kind.name().into(),
        event.aggregate_type.into(),
        event.aggregate_id.to_string().into(),
        event.aggregate_seq.into(),
        event.owner.map(|owner| owner.to_string()).into(),
        event.data.to_string().into(),
        at.into(),
    ]);
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    #[sqlx(rename = "type")]
    kind: String,
    aggregate_id: String,
    owner_user_id: Option<String>,
    data: String,
    created_at: String,
    relay_seq: Option<i64>,
}

impl EventRow {
    fn decode(self) -> Result<Event, sqlx::Error> {
        let kind = EventType::parse(&self.kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown event type {:?}", self.kind).into()))?;
        Ok(Event {
            id: decode::uuid(&self.id)?,
            kind,
            created_at: decode::time(&self.created_at)?,
            data: serde_json::from_str(&self.data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            aggregate_id: decode::uuid(&self.aggregate_id)?,
            owner: self.owner_user_id.as_deref().map(decode::uuid).transpose()?,
            relay_seq: self.relay_seq.unwrap_or(0),
        })
    }
}

const SELECT: &str = "SELECT id, type, aggregate_id, owner_user_id, data, created_at, relay_seq FROM events";

/// Takes (or keeps) the relay's lease for `holder` until `until`. Answers the last position
/// handed on when the lease is held, `None` when another relay holds it.
#[tracing::instrument(skip_all)]
pub async fn take_lease(pool: &AnyPool, holder: &str, until: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE event_relay SET holder = $1, lease_until = $2 \
         WHERE name = 'main' AND (holder IS NULL OR holder = $1 OR lease_until < $3) RETURNING last_seq",
    )
    .bind(holder)
    .bind(until)
    .bind(time::to_db(time::now()))
    .fetch_optional(pool)
    .await
}

/// Gives the lease up (a relay stopping), so another takes over at once.
pub async fn release_lease(pool: &AnyPool, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE event_relay SET holder = NULL, lease_until = NULL WHERE name = 'main' AND holder = $1")
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

/// Committed events not handed on yet, oldest first.
#[tracing::instrument(skip_all)]
pub async fn unrelayed(pool: &AnyPool, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE relay_seq IS NULL ORDER BY id LIMIT $1");
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?;
    rows.into_iter().map(EventRow::decode).collect()
}

/// Numbers `events` from `last_seq + 1` in the caller's transaction, if `holder` still holds
/// the lease (else nothing changes and the answer is false).
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn mark_relayed(
    conn: &mut AnyConnection,
    holder: &str,
    last_seq: i64,
    events: &mut [Event],
) -> Result<bool, sqlx::Error> {
    let next = last_seq + events.len() as i64;
    let moved =
        sqlx::query("UPDATE event_relay SET last_seq = $1 WHERE name = 'main' AND holder = $2 AND last_seq = $3")
            .bind(next)
            .bind(holder)
            .bind(last_seq)
            .execute(&mut *conn)
            .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    if events.is_empty() {
        return Ok(true);
    }
    // One statement for the round, not one per event.
    let sql = format!(
        "WITH numbered (numbered_id, numbered_seq) AS (VALUES {}) \
         UPDATE events SET relay_seq = numbered.numbered_seq FROM numbered \
         WHERE events.id = numbered.numbered_id AND events.relay_seq IS NULL",
        batch::values_for(Dialect::of(conn), events.len(), 2)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (seq, event) in (last_seq + 1..).zip(events.iter_mut()) {
        query = query.bind(event.id.to_string()).bind(seq);
        event.relay_seq = seq;
    }
    query.execute(&mut *conn).await?;
    Ok(true)
}

/// `owner`'s events handed on after position `after`, in order.
#[tracing::instrument(skip_all)]
pub async fn owned_after(pool: &AnyPool, owner: Uuid, after: i64, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE owner_user_id = $1 AND relay_seq > $2 ORDER BY relay_seq LIMIT $3");
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(EventRow::decode).collect()
}

/// The position of `owner`'s event `id`, when it has been handed on.
pub async fn position_of(pool: &AnyPool, owner: Uuid, id: Uuid) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<Option<i64>> =
        sqlx::query_scalar("SELECT relay_seq FROM events WHERE id = $1 AND owner_user_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(pool)
            .await?;
    Ok(found.flatten())
}

/// The last position handed on.
pub async fn last_position(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT last_seq FROM event_relay WHERE name = 'main'").fetch_one(pool).await
}
