//! Where settings come from, in increasing priority, and the defaults derived from them.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};

use super::{Config, Environment, LogFormat, Settings};

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// A setting that cannot be used; the message names the key and what is wrong with it.
#[derive(Debug)]
pub struct ConfigError(String);

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The hosting conventions of docs/api.md's operator contract, mapped onto settings keys.
fn conventional(mut figment: Figment) -> Result<Figment, ConfigError> {
    if let Some(port) = var("PORT") {
        let port: u16 =
            port.trim().parse().map_err(|_| ConfigError::new(format!("PORT={port:?} is not a TCP port number")))?;
        figment = figment.merge(Serialized::default("server.bind", format!("0.0.0.0:{port}")));
    }
    let pairs = [
        ("TRESOR_BIND", "server.bind"),
        ("TRESOR_PUBLIC_URL", "server.public_url"),
        ("TRESOR_APP_URL", "server.app_url"),
        ("TRESOR_DATA_DIR", "data_dir"),
        ("DATABASE_URL", "database.url"),
        ("REDIS_URL", "redis.url"),
        ("SMTP_URL", "mail.smtp_url"),
    ];
    for (name, key) in pairs {
        if let Some(value) = var(name) {
            figment = figment.merge(Serialized::default(key, value));
        }
    }
    Ok(figment)
}

fn config_dir() -> PathBuf {
    var("TRESOR_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from)
}

/// Reads the configuration of this process from files and environment.
pub fn load() -> Result<Config, ConfigError> {
    let env = Environment::parse(&var("TRESOR_ENV").unwrap_or_default())?;
    let env_file = config_dir().join(format!("{}.toml", env.name()));
    let figment = defaults().merge(Toml::file(&env_file));
    let figment = conventional(figment)?.merge(Env::prefixed("TRESOR__").split("__"));
    from_figment(env, figment)
}

/// The compiled-in defaults, as a base that tests and tools merge their own values onto.
pub fn defaults() -> Figment {
    Figment::from(Toml::string(DEFAULTS))
}

/// Extracts and resolves settings from any set of sources (the test harness builds its own
/// instead of reading this process's environment).
pub fn from_figment(env: Environment, figment: Figment) -> Result<Config, ConfigError> {
    known_queues(&figment)?;
    let settings: Settings =
        figment.extract().map_err(|e| ConfigError::new(format!("configuration: {}", one_line(&e))))?;
    resolve(env, settings)
}

/// A misspelt queue (`TRESOR__JOBS__QUEUES__SEND_EMAL__CONCURRENCY`) is named as such, before
/// extraction would report the fields its half-made section lacks.
fn known_queues(figment: &Figment) -> Result<(), ConfigError> {
    let Ok(queues) = figment.find_value("jobs.queues") else { return Ok(()) };
    let Some(queues) = queues.as_dict() else { return Ok(()) };
    match queues.keys().find(|name| !tresor_jobs::queues::ALL.contains(&name.as_str())) {
        None => Ok(()),
        Some(name) => Err(ConfigError::new(format!(
            "jobs.queues.{name} is not a queue (known: {})",
            tresor_jobs::queues::ALL.join(", ")
        ))),
    }
}

fn one_line(error: &figment::Error) -> String {
    error.to_string().replace('\n', "; ")
}

fn resolve(env: Environment, settings: Settings) -> Result<Config, ConfigError> {
    let data_dir = PathBuf::from(&settings.data_dir);
    let keys_dir = non_empty(&settings.keys.dir).map_or_else(|| data_dir.join("keys"), PathBuf::from);
    let public_url = non_empty(&settings.server.public_url)
        .map_or_else(|| format!("http://{}", settings.server.bind), str::to_owned)
        .trim_end_matches('/')
        .to_owned();
    // Links for people (verify, reset, invite) go to the operator's own front end when one is
    // set; otherwise to the hosted pages under the public URL.
    let app_url = non_empty(&settings.server.app_url).map(|url| url.trim_end_matches('/').to_owned());
    let database_url = match non_empty(settings.database.url.expose_secret()) {
        Some(url) => SecretString::from(url.to_owned()),
        None => SecretString::from(format!("sqlite://{}", data_dir.join("tresor.db").display())),
    };
    check_database_url(database_url.expose_secret())?;
    let redis_url = non_empty(settings.redis.url.expose_secret()).map(|u| SecretString::from(u.to_owned()));
    if let Some(url) = &redis_url
        && !(url.expose_secret().starts_with("redis://") || url.expose_secret().starts_with("rediss://"))
    {
        return Err(ConfigError::new("REDIS_URL must start with redis:// or rediss://"));
    }
    let redis_ca = match non_empty(&settings.redis.ca_file) {
        None => None,
        Some(file) => {
            Some(read_pem(file).map_err(|problem| ConfigError::new(format!("redis.ca_file {file:?}: {problem}")))?)
        }
    };
    let log_format = match settings.log.format {
        LogFormat::Auto if env.is_production() => LogFormat::Json,
        LogFormat::Auto => LogFormat::Pretty,
        format => format,
    };
    if env.is_production() && !public_url.starts_with("https://") {
        return Err(ConfigError::new(
            "server.public_url must be an https:// URL in production (set TRESOR_PUBLIC_URL)",
        ));
    }
    settings.jobs.validate(redis_url.is_some())?;
    super::validate::settings(&env, &settings)?;
    settings.metrics.private_bind()?;
    check_documents(&env, &settings.documents)?;
    if settings.database.max_connections == 0 {
        return Err(ConfigError::new("database.max_connections must be at least 1"));
    }
    Ok(Config { env, data_dir, keys_dir, public_url, app_url, database_url, redis_url, redis_ca, log_format, settings })
}

fn check_documents(env: &Environment, documents: &super::DocumentSettings) -> Result<(), ConfigError> {
    if documents.store != super::DocumentBackend::S3 {
        return Ok(());
    }
    let s3 = &documents.s3;
    if s3.bucket.trim().is_empty() {
        return Err(ConfigError::new("documents.s3.bucket must be set when documents.store = \"s3\""));
    }
    if s3.allow_http && env.is_production() {
        return Err(ConfigError::new("documents.s3.allow_http must be false in production (use an https:// endpoint)"));
    }
    if s3.timeout_secs == 0 {
        return Err(ConfigError::new("documents.s3.timeout_secs must be at least 1"));
    }
    Ok(())
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|prefix| url.starts_with(prefix)) {
        Ok(())
    } else {
        // Only the scheme is echoed: the rest may hold a password.
        let scheme = url.split(':').next().unwrap_or_default();
        Err(ConfigError::new(format!("DATABASE_URL scheme {scheme:?} is not supported (use sqlite:// or postgres://)")))
    }
}

/// A PEM file holding at least one certificate.
fn read_pem(file: &str) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(file).map_err(|e| format!("cannot be read ({e})"))?;
    if pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        Ok(pem)
    } else {
        Err("holds no PEM certificate".to_owned())
    }
}

fn non_empty(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// Where the database file lives for a `sqlite://` URL, for locks and backups beside it.
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(Path::new(path)).filter(|p| !p.as_os_str().is_empty() && *p != Path::new(":memory:"))
}
