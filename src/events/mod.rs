//! Events out: every change worth knowing writes an event in its own transaction (the outbox,
//! [`record`] / [`rows`]); a relay (`crate::worker::relay`) hands committed events on, in order, to webhook
//! deliveries (`crate::webhooks`), the Redis Stream `<prefix>:events` and the live feed
//! (`feed`, the `GET /v1/events` stream). At least once, in commit order per aggregate.
//!
//! `data` carries ids, amounts and statuses only: never a name, an email, a token or a secret.

mod feed;
mod kind;
pub mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use uuid::Uuid;

pub use feed::{Feed, FeedError, Subscription, Tick};
pub use kind::EventType;

use crate::db::insert::Insert;

/// An event about to be written in the caller's transaction.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventType,
    /// What the event is about (`account`, `user`, `document`, `case`) and which one: events of
    /// one aggregate are delivered in the order they committed.
    pub aggregate_type: &'static str,
    pub aggregate_id: Uuid,
    /// The aggregate's own numbering when it has one (an account's posting number).
    pub aggregate_seq: Option<i64>,
    /// The user whose live feed shows it (none: staff-only events).
    pub owner: Option<Uuid>,
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: EventType, aggregate: (&'static str, Uuid), owner: Option<Uuid>, data: serde_json::Value) -> Self {
        Self { kind, aggregate_type: aggregate.0, aggregate_id: aggregate.1, aggregate_seq: None, owner, data }
    }
}

/// An event as delivered: the webhook body, the stream entry, the live feed's `data:`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: DateTime<Utc>,
    /// Ids, amounts and statuses of what changed.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    #[serde(skip)]
    pub aggregate_id: Uuid,
    #[serde(skip)]
    pub owner: Option<Uuid>,
    /// The relay's position (the live feed's order).
    #[serde(skip)]
    pub relay_seq: i64,
}

/// Writes `event` in the caller's transaction.
#[tracing::instrument(skip_all, fields(kind = %event.kind))]
pub async fn record(conn: &mut AnyConnection, event: NewEvent) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let mut rows = store::empty_rows();
    store::push_row(&mut rows, id, &event, &crate::db::time::to_db(crate::db::time::now()));
    rows.execute(conn).await?;
    Ok(id)
}

/// The rows of several events for the caller's multi-row insert (a ledger batch's postings).
pub fn rows(events: Vec<NewEvent>) -> Insert {
    let at = crate::db::time::to_db(crate::db::time::now());
    let mut rows = store::empty_rows();
    for event in &events {
        store::push_row(&mut rows, Uuid::now_v7(), event, &at);
    }
    rows
}
