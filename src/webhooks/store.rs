//! The webhooks' SQL: endpoints, their deliveries, and claiming due deliveries.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::{Dialect, time};

#[derive(sqlx::FromRow, Clone)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub description: Option<String>,
    pub enabled: i64,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<String>,
    pub failing_since: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const ENDPOINT: &str = "SELECT id, url, events, description, enabled, secret, previous_secret, previous_until, \
     failing_since, disabled_reason, created_at, updated_at FROM webhook_endpoints";

pub async fn insert(conn: &mut AnyConnection, row: &EndpointRow, created_by: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, events, description, enabled, secret, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $7)",
    )
    .bind(&row.id)
    .bind(&row.url)
    .bind(&row.events)
    .bind(&row.description)
    .bind(&row.secret)
    .bind(created_by.to_string())
    .bind(&row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(pool: &AnyPool) -> Result<Vec<EndpointRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{ENDPOINT} ORDER BY id"))).fetch_all(pool).await
}

/// One endpoint; in a transaction, locked until it ends.
pub async fn get(conn: &mut AnyConnection, id: Uuid) -> Result<Option<EndpointRow>, sqlx::Error> {
    let sql = format!("{ENDPOINT} WHERE id = $1{}", Dialect::of(conn).for_update());
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(conn).await
}

/// Saves url, events, description, enabled and the secrets of `row`.
pub async fn update(conn: &mut AnyConnection, row: &EndpointRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $1, events = $2, description = $3, enabled = $4, secret = $5, \
         previous_secret = $6, previous_until = $7, failing_since = $8, disabled_reason = $9, updated_at = $10 \
         WHERE id = $11",
    )
    .bind(&row.url)
    .bind(&row.events)
    .bind(&row.description)
    .bind(row.enabled)
    .bind(&row.secret)
    .bind(&row.previous_secret)
    .bind(&row.previous_until)
    .bind(&row.failing_since)
    .bind(&row.disabled_reason)
    .bind(&row.updated_at)
    .bind(&row.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let id = id.to_string();
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1").bind(&id).execute(&mut *conn).await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1").bind(&id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// The enabled endpoints and the types each subscribes to (JSON arrays).
pub async fn subscriptions(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, events FROM webhook_endpoints WHERE enabled = 1 ORDER BY id").fetch_all(conn).await
}

/// Delivery rows for the relay's transaction: `(endpoint id, event id)` each, due now.
pub fn delivery_rows(pairs: &[(String, Uuid)]) -> Insert {
    let now = time::to_db(time::now());
    let mut rows =
        Insert::new("webhook_deliveries", &["id", "endpoint_id", "event_id", "next_attempt_at", "created_at"]);
    for (endpoint, event) in pairs {
        rows.row([
            Uuid::now_v7().to_string().into(),
            endpoint.as_str().into(),
            event.to_string().into(),
            now.as_str().into(),
            now.as_str().into(),
        ]);
    }
    rows
}

#[derive(sqlx::FromRow)]
pub struct DeliveryRow {
    pub event_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub attempt: i64,
    pub status: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

/// An endpoint's deliveries, newest event first, after `before` (an event id).
pub async fn deliveries(
    pool: &AnyPool,
    endpoint: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.event_id, e.type, d.attempt, d.status, d.status_code, d.error, d.next_attempt_at, d.delivered_at \
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.endpoint_id = $1 AND d.event_id < $2 ORDER BY d.event_id DESC LIMIT $3",
    )
    .bind(endpoint.to_string())
    // "~" sorts after every id (ids are lowercase hex and dashes).
    .bind(before.map_or_else(|| "~".to_owned(), |b| b.to_string()))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Puts a delivery back in the queue, due now, with a fresh retry window.
pub async fn redeliver(conn: &mut AnyConnection, endpoint: Uuid, event: Uuid) -> Result<bool, sqlx::Error> {
    let now = time::to_db(time::now());
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, claimed_until = NULL, created_at = $1 \
         WHERE endpoint_id = $2 AND event_id = $3",
    )
    .bind(&now)
    .bind(endpoint.to_string())
    .bind(event.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A claimed delivery with what sending it needs.
#[derive(sqlx::FromRow)]
pub struct Due {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub attempt: i64,
    pub created_at: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub data: String,
    pub event_created_at: String,
}

/// Claims up to `limit` due deliveries of enabled endpoints until `until`, oldest event first
/// (another deliverer skips them until then; a deliverer that dies lets them go at `until`).
/// An endpoint with deliveries claimed by another deliverer is left alone until those are
/// done or released, so each endpoint receives its events in order even across a crash.
pub async fn claim_due(conn: &mut AnyConnection, until: &str, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    let now = time::to_db(time::now());
    let lock = match Dialect::of(conn) {
        Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1) \
         AND w.enabled = 1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries c WHERE c.endpoint_id = d.endpoint_id \
         AND c.status = 'pending' AND c.claimed_until >= $1) ORDER BY d.event_id LIMIT $2{lock}"
    );
    let ids: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(&now).bind(limit).fetch_all(&mut *conn).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::db::batch::list(2, ids.len());
    let claim = format!("UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN ({list})");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(claim)).bind(until);
    for id in &ids {
        query = query.bind(id);
    }
    query.execute(&mut *conn).await?;
    let select = format!(
        "SELECT d.id, d.endpoint_id, d.event_id, d.attempt, d.created_at, e.type, e.data, \
         e.created_at AS event_created_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.id IN ({}) ORDER BY d.event_id",
        crate::db::batch::list(1, ids.len())
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(select));
    for id in &ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}

/// What one attempt came to.
pub struct Attempt<'a> {
    pub status: &'static str,
    pub status_code: Option<i64>,
    pub error: Option<&'a str>,
    pub excerpt: Option<&'a str>,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

pub async fn record_attempt(conn: &mut AnyConnection, id: &str, attempt: &Attempt<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempt = attempt + 1, status_code = $2, error = $3, \
         response_excerpt = $4, next_attempt_at = $5, delivered_at = $6, claimed_until = NULL WHERE id = $7",
    )
    .bind(attempt.status)
    .bind(attempt.status_code)
    .bind(attempt.error)
    .bind(attempt.excerpt)
    .bind(&attempt.next_attempt_at)
    .bind(&attempt.delivered_at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
