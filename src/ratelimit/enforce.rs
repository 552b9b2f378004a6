//! Applying a limit to a request: 429 with `Retry-After`, a metric, and a security event (one per
//! limited key per period, so a flood of refused requests does not become a flood of writes).

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use dashmap::DashMap;
use serde_json::json;

use super::{Decision, Limit};
use crate::error::{ApiError, Problem, unavailable};
use crate::identity::pii;
use crate::security_events::{self, SecurityEvent};
use crate::state::AppState;

/// When each limited key was last reported, to report it once per period.
#[derive(Default)]
pub struct Reported(DashMap<(Limit, String), Instant>);

impl Reported {
    fn first_in(&self, limit: Limit, key: &str, period: Duration) -> bool {
        if self.0.len() > 10_000 {
            self.0.retain(|_, at| at.elapsed() < period);
        }
        let entry = (limit, key.to_owned());
        match self.0.get(&entry) {
            Some(at) if at.elapsed() < period => false,
            _ => {
                self.0.insert(entry, Instant::now());
                true
            }
        }
    }
}

/// Spends one request of `key` under `limit`, or answers 429 (503 when Redis is configured and
/// down: fail closed).
pub async fn enforce(state: &AppState, limit: Limit, key: &str, ip: Option<&str>) -> Result<(), ApiError> {
    let decision = state.rate_limits.check(limit, key, state.redis.as_ref()).await.map_err(|error| {
        tracing::warn!(%error, limit = limit.name(), "rate limit store unavailable; refusing");
        ApiError::from(unavailable("rate limiting is unavailable; retry shortly"))
    })?;
    let Decision::Limited { retry_after } = decision else { return Ok(()) };
    metrics::counter!("rate_limited_total", "limit" => limit.name()).increment(1);
    let period = state.rate_limits.period(limit).unwrap_or(Duration::from_secs(60));
    if state.rate_limits.reported.first_in(limit, key, period) {
        let event = SecurityEvent {
            kind: security_events::RATE_LIMITED,
            user_id: None,
            ip: ip.map(str::to_owned),
            subject: Some(pii::subject_index(&state.keys.mac, limit.name(), key)),
            detail: json!({"limit": limit.name()}),
        };
        let mut conn = state.db.writer().acquire().await?;
        security_events::record(&mut conn, event).await?;
    }
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    Err(Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!("too many requests ({}); retry in {seconds} s", limit.name()),
    )
    .with_retry_after(seconds.max(1))
    .into())
}
