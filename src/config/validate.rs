//! Every setting checked once at startup, each refusal one line naming the key (`section.key`)
//! and what it must be, so a typo or an impossible value stops the process before it serves
//! (exit 2) rather than misbehaving later. Production adds its own rules (OWASP's argon2id
//! minimum); any other environment name gets the general ones only.

use secrecy::ExposeSecret;

use super::{ConfigError, Environment, Settings};

/// The argon2id parameter sets OWASP's Password Storage Cheat Sheet lists as equivalent
/// minimums: `(memory KiB, iterations)`, one lane each.
const OWASP_ARGON2: [(u32, u32); 5] = [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5)];

/// Fails with `key must be …` unless `ok`.
fn require(ok: bool, key: &str, must: &str) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError::new(format!("{key} must be {must}"))) }
}

fn at_least<T: PartialOrd + std::fmt::Display + Copy>(value: T, min: T, key: &str) -> Result<(), ConfigError> {
    require(value >= min, key, &format!("at least {min} (it is {value})"))
}

fn between<T: PartialOrd + std::fmt::Display + Copy>(value: T, min: T, max: T, key: &str) -> Result<(), ConfigError> {
    require(value >= min && value <= max, key, &format!("between {min} and {max} (it is {value})"))
}

pub fn settings(env: &Environment, s: &Settings) -> Result<(), ConfigError> {
    require(!s.data_dir.trim().is_empty(), "data_dir", "a folder path")?;
    server(s)?;
    between(s.database.max_connections, 1, 1000, "database.max_connections")?;
    between(s.database.acquire_timeout_secs, 1, 600, "database.acquire_timeout_secs")?;
    between(s.database.statement_timeout_ms, 0, 86_400_000, "database.statement_timeout_ms")?;
    let prefix = &s.redis.prefix;
    require(!prefix.is_empty() && !prefix.contains(char::is_whitespace), "redis.prefix", "a non-empty word")?;
    require(
        tresor_jobs::email::deliverable(&s.mail.from),
        "mail.from",
        "a mailbox, e.g. \"tresor <no-reply@bank.example>\"",
    )?;
    between(s.mail.smtp_timeout_secs, 1, 3600, "mail.smtp_timeout_secs")?;
    // Only the scheme is looked at, and nothing of the URL is echoed: it may hold a password.
    let smtp = s.mail.smtp_url.expose_secret().trim();
    require(
        smtp.is_empty() || smtp.starts_with("smtp://") || smtp.starts_with("smtps://"),
        "mail.smtp_url (SMTP_URL)",
        "empty or an smtp:// or smtps:// URL",
    )?;
    let ca = s.mail.smtp_ca_file.trim();
    require(ca.is_empty() || std::path::Path::new(ca).is_file(), "mail.smtp_ca_file", "empty or a readable PEM file")?;
    between(s.keys.reload_secs, 0, 86_400, "keys.reload_secs")?;
    between(s.holds.expiry_days, 0, 366, "holds.expiry_days")?;
    let bin = &s.cards.bin;
    require(bin.len() == 6 && bin.bytes().all(|b| b.is_ascii_digit()), "cards.bin", "6 digits")?;
    between(s.cards.valid_years, 1, 10, "cards.valid_years")?;
    let tick = s.scheduled.tick_secs;
    require(
        ((1..60).contains(&tick) && 60_u64.is_multiple_of(tick))
            || ((60..=3540).contains(&tick) && tick.is_multiple_of(60)),
        "scheduled.tick_secs",
        "a divisor of 60 below 60, or whole minutes up to 59",
    )?;
    between(s.statements.day, 1, 28, "statements.day")?;
    jobs(s)?;
    ledger(s)?;
    between(s.exports.ttl_hours, 1, 8760, "exports.ttl_hours")?;
    identity(s)?;
    passwords(env, s)?;
    mfa(s)?;
    oidc(s)?;
    between(s.authz.cache_millis, 0, 3_600_000, "authz.cache_millis")?;
    documents(s)
}

fn server(s: &Settings) -> Result<(), ConfigError> {
    let server = &s.server;
    between(server.workers, 0, 1024, "server.workers")?;
    between(server.shutdown_timeout_secs, 1, 3600, "server.shutdown_timeout_secs")?;
    between(server.json_limit_bytes, 1024, 64 << 20, "server.json_limit_bytes")?;
    between(server.max_in_flight, 1, 1 << 20, "server.max_in_flight")?;
    between(server.body_timeout_secs, 1, 3600, "server.body_timeout_secs")?;
    let public_url = server.public_url.trim();
    require(
        public_url.is_empty() || public_url.starts_with("http://") || public_url.starts_with("https://"),
        "server.public_url",
        "empty or an http:// or https:// URL",
    )?;
    let app_url = server.app_url.trim();
    require(
        app_url.is_empty() || app_url.starts_with("http://") || app_url.starts_with("https://"),
        "server.app_url (TRESOR_APP_URL)",
        "empty or an http:// or https:// URL",
    )?;
    for origin in &server.cors_origins {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        require(
            rest.is_some_and(|host| !host.is_empty() && !host.contains('/')),
            "server.cors_origins",
            &format!("a list of origins like https://app.example.com (not {origin:?})"),
        )?;
    }
    Ok(())
}

fn jobs(s: &Settings) -> Result<(), ConfigError> {
    let jobs = &s.jobs;
    require(!jobs.namespace.trim().is_empty(), "jobs.namespace", "a non-empty word")?;
    between(jobs.poll_interval_ms, 1, 600_000, "jobs.poll_interval_ms")?;
    between(jobs.shutdown_timeout_secs, 1, 3600, "jobs.shutdown_timeout_secs")?;
    at_least(jobs.idempotency_ttl_hours, 1, "jobs.idempotency_ttl_hours")?;
    at_least(jobs.sweep_max_age_hours, 1, "jobs.sweep_max_age_hours")?;
    for (name, queue) in &jobs.queues {
        at_least(queue.backoff_base_ms, 1, &format!("jobs.queues.{name}.backoff_base_ms"))?;
        at_least(queue.backoff_max_secs, 1, &format!("jobs.queues.{name}.backoff_max_secs"))?;
        between(queue.concurrency, 1, 1024, &format!("jobs.queues.{name}.concurrency"))?;
    }
    Ok(())
}

fn ledger(s: &Settings) -> Result<(), ConfigError> {
    let ledger = &s.ledger;
    at_least(ledger.max_transaction, 1, "ledger.max_transaction")?;
    at_least(ledger.daily_outgoing, 1, "ledger.daily_outgoing")?;
    at_least(ledger.step_up_threshold, 0, "ledger.step_up_threshold")?;
    at_least(ledger.review_threshold, 0, "ledger.review_threshold")?;
    at_least(ledger.velocity_max_transfers, 1, "ledger.velocity_max_transfers")?;
    between(ledger.velocity_window_secs, 1, 86_400, "ledger.velocity_window_secs")?;
    between(ledger.group_commit_max, 1, 65_536, "ledger.group_commit_max")?;
    at_least(ledger.actor_idle_secs, 1, "ledger.actor_idle_secs")?;
    between(ledger.committers, 0, 64, "ledger.committers")?;
    between(ledger.combine_max, 1, 65_536, "ledger.combine_max")
}

fn identity(s: &Settings) -> Result<(), ConfigError> {
    let id = &s.identity;
    require(!id.audience.trim().is_empty(), "identity.audience", "a non-empty string")?;
    between(id.access_token_minutes, 1, 1440, "identity.access_token_minutes")?;
    at_least(id.session_idle_minutes, 1, "identity.session_idle_minutes")?;
    at_least(id.session_absolute_hours, 1, "identity.session_absolute_hours")?;
    between(id.session_remember_days, 1, 400, "identity.session_remember_days")?;
    between(id.mfa_token_minutes, 1, 60, "identity.mfa_token_minutes")?;
    at_least(id.email_verification_hours, 1, "identity.email_verification_hours")?;
    between(id.password_reset_minutes, 1, 1440, "identity.password_reset_minutes")?;
    at_least(id.invite_hours, 1, "identity.invite_hours")?;
    at_least(id.lockout_threshold, 1, "identity.lockout_threshold")?;
    at_least(id.lockout_minutes, 1, "identity.lockout_minutes")?;
    require(
        id.lockout_max_hours.saturating_mul(60) >= id.lockout_minutes,
        "identity.lockout_max_hours",
        "at least identity.lockout_minutes",
    )?;
    between(id.token_cache_entries, 0, 10_000_000, "identity.token_cache_entries")?;
    between(id.session_cache_millis, 0, 3_600_000, "identity.session_cache_millis")
}

fn passwords(env: &Environment, s: &Settings) -> Result<(), ConfigError> {
    let p = &s.passwords;
    between(p.max_length, 8, 1024, "passwords.max_length")?;
    between(p.min_length, 8, p.max_length, "passwords.min_length (at most passwords.max_length)")?;
    between(p.min_strength, 0, 4, "passwords.min_strength")?;
    between(p.argon2_parallelism, 1, 64, "passwords.argon2_parallelism")?;
    between(p.argon2_iterations, 1, 64, "passwords.argon2_iterations")?;
    let least = 8 * p.argon2_parallelism;
    between(p.argon2_memory_kib, least, 4 << 20, "passwords.argon2_memory_kib")?;
    between(p.hash_threads, 0, 256, "passwords.hash_threads")?;
    at_least(p.hash_queue, 1, "passwords.hash_queue")?;
    if env.is_production() {
        let owasp = OWASP_ARGON2.iter().any(|(m, t)| p.argon2_memory_kib >= *m && p.argon2_iterations >= *t);
        require(
            owasp,
            "passwords.argon2_memory_kib and argon2_iterations",
            "at least OWASP's minimum in production (19456 KiB with 2 iterations, or 47104/1, 12288/3, 9216/4, 7168/5)",
        )?;
    }
    Ok(())
}

fn mfa(s: &Settings) -> Result<(), ConfigError> {
    let issuer = &s.mfa.issuer;
    require(!issuer.trim().is_empty() && issuer.chars().count() <= 64, "mfa.issuer", "1 to 64 characters")?;
    require(
        !issuer.contains(':') && !issuer.chars().any(char::is_control),
        "mfa.issuer",
        "free of ':' and control characters (authenticator apps split the label at ':')",
    )?;
    between(s.mfa.step_up_minutes, 0, 1440, "mfa.step_up_minutes")?;
    between(s.mfa.max_failed_codes, 1, 100, "mfa.max_failed_codes")
}

fn documents(s: &Settings) -> Result<(), ConfigError> {
    between(s.documents.max_upload_bytes, 1, 1 << 30, "documents.max_upload_bytes")?;
    between(s.documents.link_ttl_secs, 1, 86_400, "documents.link_ttl_secs")?;
    let scan = &s.scan;
    at_least(scan.max_image_width, 1, "scan.max_image_width")?;
    at_least(scan.max_image_height, 1, "scan.max_image_height")?;
    at_least(scan.max_image_pixels, 1, "scan.max_image_pixels")?;
    at_least(scan.max_decode_alloc_bytes, 1 << 20, "scan.max_decode_alloc_bytes")?;
    at_least(scan.max_inflated_bytes, 1, "scan.max_inflated_bytes")?;
    require(scan.min_long_side >= scan.min_short_side, "scan.min_long_side", "at least scan.min_short_side")?;
    require(
        scan.blur_threshold.is_finite() && scan.blur_threshold >= 0.0,
        "scan.blur_threshold",
        "a number of at least 0",
    )?;
    between(scan.clamd_timeout_secs, 1, 3600, "scan.clamd_timeout_secs")
}

fn oidc(s: &Settings) -> Result<(), ConfigError> {
    let oidc = &s.oidc;
    between(oidc.flow_minutes, 1, 60, "oidc.flow_minutes")?;
    between(oidc.link_minutes, 1, 60, "oidc.link_minutes")?;
    between(oidc.jwks_refresh_secs, 1, 3600, "oidc.jwks_refresh_secs")?;
    between(oidc.http_timeout_secs, 1, 120, "oidc.http_timeout_secs")?;
    for (name, provider) in &oidc.providers {
        let key = format!("oidc.providers.{name}");
        require(
            !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            &key,
            "named with 1 to 32 lower-case letters, digits and '-'",
        )?;
        let issuer = provider.issuer_for(name);
        require(
            issuer.starts_with("https://") || issuer.starts_with("http://"),
            &format!("{key}.issuer"),
            "an http(s):// URL (or leave it out for the google preset)",
        )?;
        require(!provider.client_id.trim().is_empty(), &format!("{key}.client_id"), "set")?;
        require(!provider.client_secret.expose_secret().is_empty(), &format!("{key}.client_secret"), "set")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use figment::providers::Serialized;

    use super::super::{Environment, defaults, from_figment};

    fn refused(env: Environment, key: &str, value: impl serde::Serialize) -> String {
        let figment = defaults()
            .merge(Serialized::default(key, value))
            .merge(Serialized::default("server.public_url", "https://bank.example"));
        match from_figment(env, figment) {
            Ok(_) => panic!("{key} was accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn impossible_values_are_refused_naming_the_key() {
        for (key, value) in [
            ("ledger.max_transaction", -5_i64),
            ("ledger.daily_outgoing", 0),
            ("passwords.min_length", 200),
            ("passwords.argon2_memory_kib", 4),
            ("identity.access_token_minutes", 0),
            ("database.max_connections", 0),
            ("server.shutdown_timeout_secs", 0),
            ("exports.ttl_hours", 0),
            ("passwords.min_strength", 5),
        ] {
            let message = refused(Environment::Development, key, value);
            assert!(message.contains(key), "{key}: {message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
        let message = refused(Environment::Development, "mfa.issuer", "a:b");
        assert!(message.contains("mfa.issuer") && message.contains(':'), "{message}");
        let message = refused(Environment::Development, "mail.from", "nobody");
        assert!(message.contains("mail.from"), "{message}");
        let message = refused(Environment::Development, "mail.smtp_url", "http://user:hunter2@mail.example");
        assert!(message.contains("mail.smtp_url") && !message.contains("hunter2"), "{message}");
    }

    #[test]
    fn argon2_below_owasp_is_refused_in_production_only() {
        let weak = || {
            defaults()
                .merge(Serialized::default("passwords.argon2_memory_kib", 8))
                .merge(Serialized::default("server.public_url", "https://bank.example"))
        };
        let error = from_figment(Environment::Production, weak()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("passwords.argon2_memory_kib") && error.contains("OWASP"), "{error}");
        assert!(from_figment(Environment::Development, weak()).is_ok());
        let staging = Environment::parse("staging").unwrap_or(Environment::Development);
        assert_eq!(staging.name(), "staging");
        assert!(from_figment(staging, weak()).is_ok(), "only production turns on production rules");
        let strong = defaults().merge(Serialized::default("server.public_url", "https://bank.example"));
        assert!(from_figment(Environment::Production, strong).is_ok());
    }
}
