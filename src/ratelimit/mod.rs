//! Rate limits of docs/api.md (`[rate_limits]`): GCRA, in-process with `governor`, or in Redis when
//! `REDIS_URL` is set so that every process shares one budget per key.
//!
//! When Redis is configured but does not answer, checks fail closed: the caller answers 503
//! rather than letting unlimited password guesses through.
//!
//! Handlers call [`RateLimits::enforce`] (`state.rate_limits`) first; its [`Refused`] becomes
//! 429 with `Retry-After` (or 503) in `crate::http`.

mod enforce;
mod redis_gcra;

pub use enforce::{RateLimits, Refused};

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter as Governor};
use sha2::{Digest, Sha256};

use crate::config::{RateLimitSettings, RateSpec};
use crate::redis::RedisHandle;

/// Each limit of `[rate_limits]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    LoginIpEmail,
    LoginIp,
    Register,
    PasswordForgot,
    Refresh,
    Mfa,
    DocumentUpload,
    Transfers,
}

impl Limit {
    pub const ALL: [Self; 8] = [
        Self::LoginIpEmail,
        Self::LoginIp,
        Self::Register,
        Self::PasswordForgot,
        Self::Refresh,
        Self::Mfa,
        Self::DocumentUpload,
        Self::Transfers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::LoginIpEmail => "login_ip_email",
            Self::LoginIp => "login_ip",
            Self::Register => "register",
            Self::PasswordForgot => "password_forgot",
            Self::Refresh => "refresh",
            Self::Mfa => "mfa",
            Self::DocumentUpload => "document_upload",
            Self::Transfers => "transfers",
        }
    }

    fn spec(self, settings: &RateLimitSettings) -> RateSpec {
        match self {
            Self::LoginIpEmail => settings.login_ip_email,
            Self::LoginIp => settings.login_ip,
            Self::Register => settings.register,
            Self::PasswordForgot => settings.password_forgot,
            Self::Refresh => settings.refresh,
            Self::Mfa => settings.mfa,
            Self::DocumentUpload => settings.document_upload,
            Self::Transfers => settings.transfers,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; the earliest a retry can pass.
    Limited {
        retry_after: Duration,
    },
}

struct Rule {
    count: u32,
    period: Duration,
    local: DefaultKeyedRateLimiter<[u8; 16]>,
}

/// The GCRA budgets alone (no reporting): see [`RateLimits`] for enforcing them.
pub struct RateLimiter {
    rules: HashMap<Limit, Rule>,
    /// Namespace of the keys in Redis (`[redis] prefix`).
    prefix: String,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("limits", &self.rules.len()).finish()
    }
}

/// Keys are hashed: bounded memory per key, and no email address kept in memory or in Redis.
fn hashed(key: &str) -> [u8; 16] {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = [0_u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

impl RateLimiter {
    pub fn new(settings: &RateLimitSettings, prefix: &str) -> Self {
        let mut rules = HashMap::new();
        for limit in Limit::ALL {
            let RateSpec::Limit { count, period } = limit.spec(settings) else { continue };
            let Some(burst) = NonZeroU32::new(count) else { continue };
            let Some(quota) = Quota::with_period(period / count) else { continue };
            let local = Governor::dashmap(quota.allow_burst(burst));
            rules.insert(limit, Rule { count, period, local });
        }
        Self { rules, prefix: prefix.to_owned() }
    }

    /// Spends one request of `key`'s budget under `limit`. `Err` only when Redis is configured
    /// and failed: the caller must refuse the request.
    pub async fn check(
        &self,
        limit: Limit,
        key: &str,
        redis: Option<&RedisHandle>,
    ) -> Result<Decision, redis::RedisError> {
        let Some(rule) = self.rules.get(&limit) else { return Ok(Decision::Allowed) };
        let key = hashed(key);
        let decision = match redis {
            Some(redis) => redis_gcra::check(redis, &self.prefix, limit.name(), &key, rule.count, rule.period).await?,
            None => match rule.local.check_key(&key) {
                Ok(()) => Decision::Allowed,
                Err(not_until) => {
                    Decision::Limited { retry_after: not_until.wait_time_from(DefaultClock::default().now()) }
                }
            },
        };
        if rule.local.len() > 50_000 {
            rule.local.retain_recent();
        }
        Ok(decision)
    }

    /// The configured period of `limit`, `None` when it is off.
    pub fn period(&self, limit: Limit) -> Option<Duration> {
        self.rules.get(&limit).map(|rule| rule.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(login_ip: &str) -> RateLimitSettings {
        let spec = |s: &str| RateSpec::parse(s).unwrap();
        RateLimitSettings {
            login_ip_email: spec("off"),
            login_ip: spec(login_ip),
            register: spec("3/h"),
            password_forgot: spec("5/h"),
            refresh: spec("10/min"),
            mfa: spec("5/min"),
            document_upload: spec("10/5min"),
            transfers: spec("30/min"),
        }
    }

    #[tokio::test]
    async fn in_process_limits_allow_the_burst_then_say_when_to_retry() {
        let limiter = RateLimiter::new(&settings("3/min"), "tresor");
        for _ in 0..3 {
            assert_eq!(limiter.check(Limit::LoginIp, "10.0.0.1", None).await.unwrap(), Decision::Allowed);
        }
        let Decision::Limited { retry_after } = limiter.check(Limit::LoginIp, "10.0.0.1", None).await.unwrap() else {
            panic!("the fourth request in a minute is limited");
        };
        assert!(retry_after > Duration::from_secs(1) && retry_after <= Duration::from_secs(20), "{retry_after:?}");
        assert_eq!(limiter.check(Limit::LoginIp, "10.0.0.2", None).await.unwrap(), Decision::Allowed, "per key");
        for _ in 0..100 {
            assert_eq!(limiter.check(Limit::LoginIpEmail, "x", None).await.unwrap(), Decision::Allowed, "off");
        }
    }
}
