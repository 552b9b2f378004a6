//! Webhooks (`webhooks:manage`): endpoints that receive every subscribed event, signed with
//! the Standard Webhooks scheme. Endpoints are managed here ([`Webhooks`]); the relay
//! (`crate::events::relay`) queues one delivery per event and subscribed endpoint in its
//! transaction ([`fan_out`]); the deliverer (`deliver`) sends them with retries.

mod deliver;
mod page;
mod secret;
mod signing;
mod store;
pub mod target;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use uuid::Uuid;

pub use deliver::Deliverer;
pub use page::EndpointPage;
pub use secret::reseal;

use crate::audit::{self, Actor};
use crate::config::WebhookSettings;
use crate::crypto::Keys;
use crate::db::{Db, decode, time};
use crate::error::{Error, Kind, Problem};
use crate::events::{Event, EventType};

/// An endpoint as staff see it (never its secret).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    /// Event types delivered, or `["*"]` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why it was disabled, when the system disabled it (failing for too long).
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs beside the current one (after a rotation).
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its secret: the answer to creation and rotation, the only time it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_…`: shown once; verify `webhook-signature` with it.
    #[schema(value_type = String)]
    #[serde(serialize_with = "expose")]
    pub secret: SecretString,
}

fn expose<S: serde::Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// What staff may change on an endpoint (absent: unchanged).
#[derive(Debug, Default)]
pub struct Change {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    /// Attempts made so far.
    pub attempt: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// The last attempt's HTTP status, when one was received.
    pub status_code: Option<i64>,
    /// Why the last attempt failed (no answer, timeout, refused target, non-2xx).
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

pub struct Webhooks {
    db: Db,
    keys: Arc<Keys>,
    settings: WebhookSettings,
    https_only: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    let mut errors = crate::error::FieldErrors::new();
    errors.insert(field.to_owned(), vec![message.into()]);
    Problem::invalid_fields(errors).into()
}

fn not_found() -> Error {
    Problem::not_found("the webhook endpoint").into()
}

impl Webhooks {
    pub fn new(db: Db, keys: Arc<Keys>, settings: WebhookSettings, https_only: bool) -> Self {
        Self { db, keys, settings, https_only }
    }

    /// Checks a URL as a delivery target: 400 when malformed, 422 `webhook-target-refused`
    /// when it is not https in production or reaches a private address.
    async fn target(&self, raw: &str) -> Result<String, Error> {
        if raw.len() > 2048 {
            return Err(invalid("url", "must be at most 2048 characters"));
        }
        let allow = self.settings.allow_private_targets;
        let refused = |reason: target::TargetError| -> Error {
            match reason {
                target::TargetError::Malformed | target::TargetError::Credentials => {
                    invalid("url", format!("the URL {reason}"))
                }
                _ => Problem::new(Kind::Unprocessable, "webhook-target-refused", format!("the URL {reason}")).into(),
            }
        };
        let url = target::parse(raw, self.https_only, allow).map_err(refused)?;
        target::check_resolves(&url, allow).await.map_err(refused)?;
        Ok(url.to_string())
    }

    fn events_of(list: Vec<String>) -> Result<String, Error> {
        if list.is_empty() || list.len() > EventType::ALL.len() + 1 {
            return Err(invalid("events", "name at least one event type, or \"*\" for all"));
        }
        let mut list = list;
        list.sort();
        list.dedup();
        for name in &list {
            if name != "*" && EventType::parse(name).is_none() {
                return Err(invalid("events", format!("{name:?} is not an event type (see the API's webhooks)")));
            }
        }
        Ok(json!(list).to_string())
    }

    /// Registers an endpoint and answers it with its secret (shown this once).
    pub async fn create(
        &self,
        actor: &Actor,
        url: &str,
        events: Vec<String>,
        description: Option<String>,
    ) -> Result<EndpointWithSecret, Error> {
        let events = Self::events_of(events)?;
        let url = self.target(url).await?;
        let description = description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if description.as_ref().is_some_and(|d| d.chars().count() > 500) {
            return Err(invalid("description", "must be at most 500 characters"));
        }
        let id = Uuid::now_v7();
        let secret = secret::generate();
        let now = time::to_db(time::now());
        let row = store::EndpointRow {
            id: id.to_string(),
            url,
            events,
            description,
            enabled: 1,
            secret: secret::seal(&self.keys.encryption, id, "secret", &secret),
            previous_secret: None,
            previous_until: None,
            failing_since: None,
            disabled_reason: None,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        store::insert(&mut tx, &row, actor.user_id.unwrap_or_default()).await?;
        let new = json!({"url": row.url, "events": row.events});
        audit::record(&mut tx, actor, audit_event("webhook.created", id, None, new)).await?;
        tx.commit().await?;
        Ok(EndpointWithSecret { endpoint: view(row)?, secret })
    }

    pub async fn list(&self, actor: &Actor) -> Result<Vec<Endpoint>, Error> {
        let rows = store::list(self.db.reader()).await?;
        self.audited(actor, audit_event("admin.webhooks.list", Uuid::nil(), None, json!({"results": rows.len()})))
            .await?;
        rows.into_iter().map(|row| view(row).map_err(Error::from)).collect()
    }

    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<Endpoint, Error> {
        let mut conn = self.db.reader().acquire().await?;
        let row = store::get(&mut conn, id).await?.ok_or_else(not_found)?;
        drop(conn);
        self.audited(actor, audit_event("admin.webhooks.read", id, None, json!({}))).await?;
        Ok(view(row)?)
    }

    /// Changes url, events, description or enabled. Re-enabling clears the failure record.
    pub async fn update(&self, actor: &Actor, id: Uuid, change: Change) -> Result<Endpoint, Error> {
        let url = match &change.url {
            Some(url) => Some(self.target(url).await?),
            None => None,
        };
        let events = change.events.map(Self::events_of).transpose()?;
        let mut tx = self.db.begin().await?;
        let mut row = store::get(&mut tx, id).await?.ok_or_else(not_found)?;
        let old = json!({"url": row.url, "events": row.events, "enabled": row.enabled == 1});
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(events) = events {
            row.events = events;
        }
        if let Some(description) = change.description {
            row.description = description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        }
        if let Some(enabled) = change.enabled {
            if enabled && row.enabled == 0 {
                (row.failing_since, row.disabled_reason) = (None, None);
            }
            row.enabled = i64::from(enabled);
        }
        row.updated_at = time::to_db(time::now());
        store::update(&mut tx, &row).await?;
        let new = json!({"url": row.url, "events": row.events, "enabled": row.enabled == 1});
        audit::record(&mut tx, actor, audit_event("webhook.updated", id, Some(old), new)).await?;
        tx.commit().await?;
        Ok(view(row)?)
    }

    pub async fn delete(&self, actor: &Actor, id: Uuid) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        if !store::delete(&mut tx, id).await? {
            return Err(not_found());
        }
        audit::record(&mut tx, actor, audit_event("webhook.deleted", id, None, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new secret; the current one keeps signing beside it for `rotation_overlap_secs`.
    pub async fn rotate_secret(&self, actor: &Actor, id: Uuid) -> Result<EndpointWithSecret, Error> {
        let ring = &self.keys.encryption;
        let mut tx = self.db.begin().await?;
        let mut row = store::get(&mut tx, id).await?.ok_or_else(not_found)?;
        let current = secret::open(ring, id, "secret", &row.secret)?;
        let fresh = secret::generate();
        let overlap = chrono::Duration::seconds(i64::try_from(self.settings.rotation_overlap_secs).unwrap_or(86_400));
        row.previous_secret = Some(secret::seal(ring, id, "previous_secret", &current));
        row.previous_until = Some(time::to_db(time::now() + overlap));
        row.secret = secret::seal(ring, id, "secret", &fresh);
        row.updated_at = time::to_db(time::now());
        store::update(&mut tx, &row).await?;
        let new = json!({"previous_secret_until": row.previous_until});
        audit::record(&mut tx, actor, audit_event("webhook.secret_rotated", id, None, new)).await?;
        tx.commit().await?;
        Ok(EndpointWithSecret { endpoint: view(row)?, secret: fresh })
    }

    /// An endpoint's deliveries, newest event first; `cursor` is the last event id of the
    /// previous page.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<(Vec<Delivery>, Option<String>), Error> {
        let mut conn = self.db.reader().acquire().await?;
        store::get(&mut conn, id).await?.ok_or_else(not_found)?;
        drop(conn);
        let rows = store::deliveries(self.db.reader(), id, cursor, i64::from(limit) + 1).await?;
        let more = rows.len() > limit as usize;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows.into_iter().take(limit as usize) {
            items.push(Delivery {
                event_id: decode::uuid(&row.event_id)?,
                kind: row.kind,
                attempt: row.attempt,
                status: row.status,
                status_code: row.status_code,
                error: row.error,
                next_attempt_at: decode::opt_time(row.next_attempt_at)?,
                delivered_at: decode::opt_time(row.delivered_at)?,
            });
        }
        let next = if more { items.last().map(|d| d.event_id.to_string()) } else { None };
        self.audited(actor, audit_event("admin.webhooks.deliveries", id, None, json!({"results": items.len()})))
            .await?;
        Ok((items, next))
    }

    /// Sends an event to the endpoint again (due now, a fresh retry window).
    pub async fn redeliver(&self, actor: &Actor, id: Uuid, event: Uuid) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        if !store::redeliver(&mut tx, id, event).await? {
            return Err(Problem::not_found("a delivery of that event to this endpoint").into());
        }
        let new = json!({"event_id": event});
        audit::record(&mut tx, actor, audit_event("webhook.redelivered", id, None, new)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audited(&self, actor: &Actor, event: audit::Event) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The delivery loop of this capability (run by the relay's process).
    pub fn deliverer(&self) -> anyhow::Result<Deliverer> {
        Deliverer::new(self.db.clone(), self.keys.clone(), self.settings.clone(), self.https_only)
    }
}

/// Queues one delivery per event and subscribed endpoint, in the relay's transaction.
pub async fn fan_out(conn: &mut AnyConnection, events: &[Event]) -> Result<usize, sqlx::Error> {
    let subscriptions = store::subscriptions(&mut *conn).await?;
    let mut pairs = Vec::new();
    for (endpoint, types) in &subscriptions {
        let types: Vec<String> = serde_json::from_str(types).unwrap_or_default();
        let all = types.iter().any(|t| t == "*");
        for event in events {
            if all || types.iter().any(|t| t == event.kind.name()) {
                pairs.push((endpoint.clone(), event.id));
            }
        }
    }
    let queued = pairs.len();
    store::delivery_rows(&pairs).execute(conn).await?;
    Ok(queued)
}

fn audit_event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> audit::Event {
    let target_id = (!id.is_nil()).then(|| id.to_string());
    audit::Event { action, target_type: "webhook_endpoint", target_id, old, new: Some(new) }
}

fn view(row: store::EndpointRow) -> Result<Endpoint, sqlx::Error> {
    Ok(Endpoint {
        id: decode::uuid(&row.id)?,
        url: row.url,
        events: serde_json::from_str(&row.events).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        description: row.description,
        enabled: row.enabled == 1,
        disabled_reason: row.disabled_reason,
        previous_secret_until: decode::opt_time(row.previous_until)?.filter(|until| *until > Utc::now()),
        created_at: decode::time(&row.created_at)?,
        updated_at: decode::time(&row.updated_at)?,
    })
}
