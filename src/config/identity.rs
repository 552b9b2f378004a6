//! Settings of the identity capability: registration, tokens, sessions, lockout, passwords and
//! rate limits (docs/api.md, Identity and Rate limits).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may register (`POST /v1/auth/register`).
    Open,
    /// Only staff-created (invited) users get in; register answers 403 `registration-closed`.
    Invite,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettings {
    pub registration: RegistrationMode,
    /// `iss` of access tokens; empty = the public URL.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    pub access_token_minutes: u64,
    /// A session not refreshed for this long ends.
    pub session_idle_minutes: u64,
    /// A session ends this long after its login, however active.
    pub session_absolute_hours: u64,
    /// A session signed in with `remember_me` ends this long after its login instead.
    pub session_remember_days: u64,
    pub mfa_token_minutes: u64,
    pub email_verification_hours: u64,
    pub password_reset_minutes: u64,
    pub invite_hours: u64,
    pub lockout_threshold: u32,
    pub lockout_minutes: u64,
    pub lockout_max_hours: u64,
    /// Days a deleted user's personal data is kept before the cleanup job purges it.
    pub retention_days: u64,
    /// Verified access tokens kept in memory (each saves one signature check).
    pub token_cache_entries: usize,
    /// How long a session seen active in the database is trusted without asking again, when
    /// Redis is not configured (revocations by this process take effect at once regardless).
    pub session_cache_millis: u64,
}

impl IdentitySettings {
    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_minutes * 60)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub min_length: usize,
    pub max_length: usize,
    /// zxcvbn score (0..=4) a new password must reach.
    pub min_strength: u8,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Threads hashing passwords; 0 = one per core.
    pub hash_threads: usize,
    /// Hashes waiting for a thread before new ones are refused with 503.
    pub hash_queue: usize,
}

/// `N/period` (`5/min`, `3/h`, `10/5min`) or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateSpec {
    Off,
    Limit { count: u32, period: Duration },
}

impl RateSpec {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let bad = || format!("{raw:?} is not `N/period` (e.g. 5/min, 3/h, 10/5min) or `off`");
        let (count, period) = raw.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().ok().filter(|c| *c > 0).ok_or_else(bad)?;
        let period = period.trim();
        let unit_at = period.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (times, unit) = period.split_at(unit_at);
        let times: u64 = if times.is_empty() { 1 } else { times.parse().ok().filter(|t| *t > 0).ok_or_else(bad)? };
        let seconds = match unit {
            "s" | "sec" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        Ok(Self::Limit { count, period: Duration::from_secs(times * seconds) })
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Limit { count, period } => write!(f, "{count}/{}s", period.as_secs()),
        }
    }
}

impl<'de> Deserialize<'de> for RateSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// `[rate_limits]`, exactly the keys of docs/api.md.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub login_ip_email: RateSpec,
    pub login_ip: RateSpec,
    pub register: RateSpec,
    pub password_forgot: RateSpec,
    pub refresh: RateSpec,
    pub mfa: RateSpec,
    pub document_upload: RateSpec,
    pub transfers: RateSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_specs_parse_as_api_md_writes_them() {
        let limit = |count, secs| RateSpec::Limit { count, period: Duration::from_secs(secs) };
        assert_eq!(RateSpec::parse("5/min"), Ok(limit(5, 60)));
        assert_eq!(RateSpec::parse("3/h"), Ok(limit(3, 3600)));
        assert_eq!(RateSpec::parse("10/5min"), Ok(limit(10, 300)));
        assert_eq!(RateSpec::parse(" 20/s "), Ok(limit(20, 1)));
        assert_eq!(RateSpec::parse("OFF"), Ok(RateSpec::Off));
        for bad in ["", "5", "0/min", "5/", "5/fortnight", "-1/min", "5/0min", "x/min"] {
            assert!(RateSpec::parse(bad).is_err(), "{bad:?}");
        }
    }
}
