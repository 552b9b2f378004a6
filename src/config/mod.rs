//! Configuration: `config/default.toml` (compiled in), then `config/<TRESOR_ENV>.toml`, then the
//! hosting conventions (`PORT`, `DATABASE_URL`, ...), then `TRESOR__SECTION__KEY` variables.
//! Every section denies unknown keys, so a typo is a startup error rather than a silent default.

mod approvals;
mod documents;
mod exports;
mod identity;
mod jobs;
mod ledger;
mod security;
mod sources;

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use approvals::ApprovalSettings;
pub use documents::{DocumentSettings, ScanSettings};
pub use exports::ExportSettings;
pub use identity::{IdentitySettings, PasswordSettings, RateLimitSettings, RateSpec, RegistrationMode};
pub use jobs::{JobBackend, JobsSettings, QueueConfig, SchedulesConfig};
pub use ledger::{LedgerEngine, LedgerSettings};
pub use security::{AuthzSettings, MfaSettings};
pub use sources::{ConfigError, defaults, from_figment, load, sqlite_path};

/// Which deployment this process is: decides defaults and how strict startup is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => Err(ConfigError::new(format!("TRESOR_ENV={other:?} is not one of development, test, production"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    pub fn is_production(self) -> bool {
        self == Self::Production
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub data_dir: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub keys: KeySettings,
    pub log: LogSettings,
    pub mail: MailSettings,
    pub jobs: JobsSettings,
    pub ledger: LedgerSettings,
    pub identity: IdentitySettings,
    pub passwords: PasswordSettings,
    pub rate_limits: RateLimitSettings,
    pub documents: DocumentSettings,
    pub scan: ScanSettings,
    pub exports: ExportSettings,
    pub mfa: MfaSettings,
    pub authz: AuthzSettings,
    pub approvals: ApprovalSettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_url: SecretString,
    pub from: String,
    /// An extra root certificate (PEM file) to trust for the SMTP server; empty = none.
    pub smtp_ca_file: String,
    pub smtp_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: String,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub json_limit_bytes: usize,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretString,
    /// Prefix of every key tresor writes, so several deployments can share one Redis.
    pub prefix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub dir: String,
    /// Seconds between re-reads of the key rings by a running process (0 = never).
    pub reload_secs: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

/// Settings with every derived default filled in: what the rest of the program reads.
#[derive(Debug)]
pub struct Config {
    pub env: Environment,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub public_url: String,
    pub database_url: SecretString,
    pub redis_url: Option<SecretString>,
    pub log_format: LogFormat,
    pub settings: Settings,
}

impl Config {
    pub fn bind(&self) -> SocketAddr {
        self.settings.server.bind
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}
