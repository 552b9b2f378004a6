//! Sending deliveries: claim the due ones, send each endpoint's in event order (endpoints in
//! parallel), record what happened. A 2xx within `timeout_secs` is success; anything else is
//! retried after `first_retry_secs`, doubling, with jitter, until `retry_for_secs` after the
//! first attempt, when the delivery is dead (listed, redeliverable). An endpoint that has
//! failed for `disable_after_secs` without one success is disabled and staff are notified.
//! Redirects are not followed; only a short excerpt of an answer is kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use secrecy::SecretString;
use uuid::Uuid;

use super::store::{self, Attempt, Due, EndpointRow};
use super::{secret, signing, target};
use crate::config::WebhookSettings;
use crate::crypto::Keys;
use crate::db::{Db, decode, time};
use crate::notifications;

/// Bytes of an answer's body kept for staff (the rest is never read).
const EXCERPT_BYTES: usize = 256;

pub const WEBHOOK_DISABLED: &str = "webhook_disabled";

#[derive(Clone)]
pub struct Deliverer {
    db: Db,
    keys: Arc<Keys>,
    settings: WebhookSettings,
    https_only: bool,
    client: reqwest::Client,
}

/// The outcome of one HTTP attempt.
struct Sent {
    status_code: Option<i64>,
    error: Option<String>,
    excerpt: Option<String>,
}

impl Sent {
    fn ok(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|code| (200..300).contains(&code))
    }
}

impl Deliverer {
    pub fn new(db: Db, keys: Arc<Keys>, settings: WebhookSettings, https_only: bool) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .user_agent("tresor-webhooks/1");
        if !settings.allow_private_targets {
            builder = builder.dns_resolver(Arc::new(target::GuardedResolver));
        }
        Ok(Self { db, keys, settings, https_only, client: builder.build()? })
    }

    /// Delivers until `stop` resolves.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let idle = Duration::from_millis(self.settings.poll_ms.max(10));
        loop {
            let worked = match self.step().await {
                Ok(count) => count > 0,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "webhook deliveries: a round failed; retrying");
                    false
                }
            };
            let pause = if worked { Duration::ZERO } else { idle };
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One round: claims due deliveries and attempts each. Answers how many were attempted.
    pub async fn step(&self) -> anyhow::Result<usize> {
        let claim_for = chrono::Duration::seconds(i64::try_from(self.settings.timeout_secs).unwrap_or(10) * 3 + 5);
        let mut tx = self.db.begin().await?;
        let due = store::claim_due(&mut tx, &time::to_db(time::now() + claim_for), 100).await?;
        tx.commit().await?;
        let count = due.len();
        let mut by_endpoint: BTreeMap<String, Vec<Due>> = BTreeMap::new();
        for delivery in due {
            by_endpoint.entry(delivery.endpoint_id.clone()).or_default().push(delivery);
        }
        futures::stream::iter(by_endpoint)
            .for_each_concurrent(self.settings.concurrency.max(1), |(endpoint, deliveries)| async move {
                if let Err(error) = self.endpoint_round(&endpoint, deliveries).await {
                    tracing::warn!(%endpoint, error = format!("{error:#}"), "webhook deliveries to an endpoint failed");
                }
            })
            .await;
        Ok(count)
    }

    /// Sends one endpoint's claimed deliveries in order.
    async fn endpoint_round(&self, endpoint: &str, deliveries: Vec<Due>) -> anyhow::Result<()> {
        let mut conn = self.db.reader().acquire().await?;
        let Some(row) = store::get(&mut conn, decode::uuid(endpoint)?).await? else { return Ok(()) };
        drop(conn);
        let keys = self.signing_keys(&row)?;
        for delivery in deliveries {
            let sent = self.send(&row.url, &keys, &delivery).await;
            self.record(&row, &delivery, &sent).await?;
        }
        Ok(())
    }

    /// The key bytes that sign: the current secret, and the previous one during its overlap.
    fn signing_keys(&self, row: &EndpointRow) -> anyhow::Result<Vec<Vec<u8>>> {
        let id = decode::uuid(&row.id)?;
        let ring = &self.keys.encryption;
        let mut secrets: Vec<SecretString> = vec![secret::open(ring, id, "secret", &row.secret)?];
        let overlapping = decode::opt_time(row.previous_until.clone())?.is_some_and(|until| until > Utc::now());
        if let (Some(previous), true) = (&row.previous_secret, overlapping) {
            secrets.push(secret::open(ring, id, "previous_secret", previous)?);
        }
        Ok(secrets.iter().filter_map(secret::key_of).collect())
    }

    async fn send(&self, url: &str, keys: &[Vec<u8>], delivery: &Due) -> Sent {
        let failed = |error: String| Sent { status_code: None, error: Some(error), excerpt: None };
        // The URL was checked when saved; checked again in case the rules changed since.
        if let Err(refused) = target::parse(url, self.https_only, self.settings.allow_private_targets) {
            return failed(format!("target refused: the URL {refused}"));
        }
        let body = match body_of(delivery) {
            Ok(body) => body,
            Err(error) => return failed(format!("the event does not decode: {error}")),
        };
        let timestamp = Utc::now().timestamp();
        let signature = signing::header(keys, &delivery.event_id, timestamp, &body);
        let request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        match request.send().await {
            Ok(mut response) => {
                let status_code = Some(i64::from(response.status().as_u16()));
                let mut excerpt = Vec::new();
                while excerpt.len() < EXCERPT_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                excerpt.truncate(EXCERPT_BYTES);
                let excerpt = Some(String::from_utf8_lossy(&excerpt).into_owned()).filter(|e| !e.is_empty());
                let error = (!response.status().is_success()).then(|| format!("answered {}", response.status()));
                Sent { status_code, error, excerpt }
            }
            Err(error) if error.is_timeout() => failed("no answer within the timeout".into()),
            Err(error) if error.is_connect() => failed("could not connect (or the target is refused)".into()),
            Err(_) => failed("the request failed".into()),
        }
    }

    async fn record(&self, endpoint: &EndpointRow, delivery: &Due, sent: &Sent) -> anyhow::Result<()> {
        let now = time::now();
        let mut tx = self.db.begin().await?;
        let mut attempt = Attempt {
            status: "delivered",
            status_code: sent.status_code,
            error: sent.error.as_deref(),
            excerpt: sent.excerpt.as_deref(),
            next_attempt_at: None,
            delivered_at: None,
        };
        let endpoint_id = decode::uuid(&endpoint.id)?;
        // Read again under the transaction: another delivery may have changed it meanwhile.
        let Some(mut current) = store::get(&mut tx, endpoint_id).await? else { return Ok(()) };
        if sent.ok() {
            attempt.delivered_at = Some(time::to_db(now));
            current.failing_since = None;
        } else {
            let next = now + backoff(self.settings.first_retry_secs, delivery.attempt + 1);
            let window = chrono::Duration::seconds(i64::try_from(self.settings.retry_for_secs).unwrap_or(259_200));
            let dead = next > decode::time(&delivery.created_at)? + window;
            attempt.status = if dead { "dead" } else { "pending" };
            attempt.next_attempt_at = (!dead).then(|| time::to_db(next));
            let since = match &current.failing_since {
                Some(since) => decode::time(since)?,
                None => now,
            };
            current.failing_since = Some(time::to_db(since));
            let limit = chrono::Duration::seconds(i64::try_from(self.settings.disable_after_secs).unwrap_or(432_000));
            if current.enabled == 1 && now - since >= limit {
                current.enabled = 0;
                current.disabled_reason = Some("failing for too long without one success".into());
                let message =
                    format!("webhook endpoint {} disabled: its deliveries have failed since {since}", current.id);
                notifications::notify(&mut tx, WEBHOOK_DISABLED, "webhook_endpoint", &current.id, &message).await?;
            }
        }
        store::record_attempt(&mut tx, &delivery.id, &attempt).await?;
        if current.failing_since != endpoint.failing_since || current.enabled != endpoint.enabled {
            current.updated_at = time::to_db(now);
            store::update(&mut tx, &current).await?;
        }
        tx.commit().await?;
        metrics::counter!("webhook_attempts_total", "outcome" => if sent.ok() { "delivered" } else { attempt.status })
            .increment(1);
        Ok(())
    }
}

/// The body sent: the event as the API documents it.
fn body_of(delivery: &Due) -> anyhow::Result<Vec<u8>> {
    let kind = crate::events::EventType::parse(&delivery.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown event type {:?}", delivery.kind))?;
    let event = serde_json::json!({
        "id": Uuid::parse_str(&delivery.event_id)?,
        "type": kind,
        "created_at": decode::time(&delivery.event_created_at)?,
        "data": serde_json::from_str::<serde_json::Value>(&delivery.data)?,
    });
    Ok(serde_json::to_vec(&event)?)
}

/// How long after failed attempt `attempt` (1, 2, …) the next one waits: `first_retry_secs`
/// doubling each time (capped at a day), times a random factor in [0.5, 1.5).
pub fn backoff(first_retry_secs: u64, attempt: i64) -> chrono::Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let base = first_retry_secs.max(1).saturating_mul(1u64 << doublings).min(86_400);
    let jitter = 0.5 + f64::from(rand::random::<u16>()) / f64::from(u16::MAX) - f64::EPSILON;
    let millis = (base as f64 * 1000.0 * jitter) as i64;
    chrono::Duration::milliseconds(millis.max(1))
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempt in 1..=5 {
            let base = 5_000 * (1 << (attempt - 1));
            let wait = backoff(5, attempt).num_milliseconds();
            assert!(wait >= base / 2 && wait < base * 3 / 2, "attempt {attempt}: {wait}");
        }
        assert!(backoff(5, 40).num_milliseconds() < 86_400_000 * 3 / 2);
    }
}
