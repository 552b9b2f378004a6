//! Applying a limit to a request: refused with when to retry, a metric, and a security event
//! (one per limited key per period, so a flood of refused requests does not become a flood of
//! writes). The HTTP answer (429 with `Retry-After`, or 503) is `crate::http`'s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use serde_json::json;

use super::{Decision, Limit, RateLimiter};
use crate::crypto::Keys;
use crate::db::Db;
use crate::identity::pii;
use crate::redis::RedisHandle;
use crate::security_events::{self, SecurityEvent};

/// Why a request was not let through.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("over the limit {}; retry in {retry_after:?}", limit.name())]
    Limited { limit: Limit, retry_after: Duration },
    /// Redis is configured and did not answer: fail closed.
    #[error("the rate limit store is unavailable")]
    Unavailable,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl Refused {
    /// `retry_after` rounded up to whole seconds.
    pub fn whole_seconds(retry_after: Duration) -> u64 {
        retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)
    }
}

/// When each limited key was last reported, to report it once per period.
#[derive(Default)]
struct Reported(DashMap<(Limit, String), Instant>);

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

/// The limits of `[rate_limits]` with what enforcing them needs: Redis (shared budgets), the
/// database (security events) and the MAC ring (limited keys are recorded as blind indexes).
pub struct RateLimits {
    limiter: RateLimiter,
    reported: Reported,
    redis: Option<RedisHandle>,
    db: Db,
    keys: Arc<Keys>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").field("limiter", &self.limiter).finish_non_exhaustive()
    }
}

impl RateLimits {
    pub fn new(limiter: RateLimiter, redis: Option<RedisHandle>, db: Db, keys: Arc<Keys>) -> Self {
        Self { limiter, reported: Reported::default(), redis, db, keys }
    }

    /// Spends one request of `key` under `limit`, or says why not (over the limit; or Redis
    /// configured and down, which refuses rather than lets unlimited guesses through).
    pub async fn enforce(&self, limit: Limit, key: &str, ip: Option<&str>) -> Result<(), Refused> {
        let decision = self.limiter.check(limit, key, self.redis.as_ref()).await.map_err(|error| {
            tracing::warn!(%error, limit = limit.name(), "rate limit store unavailable; refusing");
            Refused::Unavailable
        })?;
        let Decision::Limited { retry_after } = decision else { return Ok(()) };
        metrics::counter!("rate_limited_total", "limit" => limit.name()).increment(1);
        let period = self.limiter.period(limit).unwrap_or(Duration::from_secs(60));
        if self.reported.first_in(limit, key, period) {
            let event = SecurityEvent {
                kind: security_events::RATE_LIMITED,
                user_id: None,
                ip: ip.map(str::to_owned),
                subject: Some(pii::subject_index(&self.keys.mac, limit.name(), key)),
                detail: json!({"limit": limit.name()}),
            };
            let mut conn = self.db.writer().acquire().await?;
            security_events::record(&mut conn, event).await?;
        }
        Err(Refused::Limited { limit, retry_after })
    }
}
