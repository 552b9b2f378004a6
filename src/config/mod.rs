//! Configuration: `config/default.toml` (compiled in), then `config/<TRESOR_ENV>.toml`, then the
//! hosting conventions (`PORT`, `DATABASE_URL`, ...), then `TRESOR__SECTION__KEY` variables.
//! Every section denies unknown keys, so a typo is a startup error rather than a silent default.

mod approvals;
mod documents;
mod events;
mod exports;
mod identity;
mod jobs;
mod ledger;
mod money;
mod oidc;
mod security;
mod sources;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use approvals::ApprovalSettings;
pub use documents::{DocumentBackend, DocumentSettings, S3Settings, ScanSettings};
pub use events::{EventSettings, WebhookSettings};
pub use exports::ExportSettings;
pub use identity::{IdentitySettings, PasswordSettings, RateLimitSettings, RateSpec, RegistrationMode};
pub use jobs::{JobBackend, JobsSettings, QueueConfig, SchedulesConfig};
pub use ledger::{LedgerEngine, LedgerSettings};
pub use money::{CardSettings, HoldSettings, ScheduledSettings, StatementSettings};
pub use oidc::{GOOGLE_ISSUER, OidcProviderSettings, OidcSettings};
pub use security::{AuthzSettings, MfaRequiredFor, MfaSettings};
pub use sources::{ConfigError, defaults, from_figment, load, sqlite_path};

/// Which deployment this process is (`TRESOR_ENV`): names the settings file read beside the
/// defaults (`config/<name>.toml`) and decides how strict startup is. Any name works
/// (`staging`, `qa`); only `production` turns on the production rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
    /// Any other deployment: its own settings file, the development rules.
    Named(String),
}

impl Environment {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => {
                // It names a file: letters, digits, `-` and `_` only, so it cannot leave the folder.
                let valid =
                    other.len() <= 64 && other.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if valid {
                    Ok(Self::Named(other.to_owned()))
                } else {
                    Err(ConfigError::new(format!(
                        "TRESOR_ENV={other:?} must be a name of at most 64 letters, digits, '-' and '_' (e.g. staging)"
                    )))
                }
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
            Self::Named(name) => name,
        }
    }

    pub fn is_production(&self) -> bool {
        *self == Self::Production
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
    pub metrics: MetricsSettings,
    pub approvals: ApprovalSettings,
    pub oidc: OidcSettings,
    pub events: EventSettings,
    pub webhooks: WebhookSettings,
    pub holds: HoldSettings,
    pub cards: CardSettings,
    pub scheduled: ScheduledSettings,
    pub statements: StatementSettings,
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
    /// `TRESOR_APP_URL`: an operator's own front end that links in emails for people point to;
    /// empty = the hosted pages under the public URL.
    pub app_url: String,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub json_limit_bytes: usize,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub cors_origins: Vec<String>,
    /// Requests this process handles at once; one more is answered 503 `overloaded`.
    pub max_in_flight: usize,
    /// Seconds a request's body may take to arrive in full (408 `request-timeout` after).
    pub body_timeout_secs: u64,
}

/// The `[metrics]` section: where `/metrics` is served.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A private address (`127.0.0.1:9100`) that serves `/metrics` alone; empty = the public
    /// port serves it.
    pub bind: String,
}

impl MetricsSettings {
    /// The private address, when one is set.
    pub fn private_bind(&self) -> Result<Option<SocketAddr>, ConfigError> {
        match self.bind.trim() {
            "" => Ok(None),
            raw => raw
                .parse()
                .map(Some)
                .map_err(|_| ConfigError::new(format!("metrics.bind = {raw:?} is not an address like 127.0.0.1:9100"))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    /// PostgreSQL: milliseconds one statement may run before the server cancels it (0 = no limit).
    pub statement_timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretString,
    /// Prefix of every key tresor writes, so several deployments can share one Redis.
    pub prefix: String,
    /// A PEM file with the root certificate a `rediss://` server is checked against (a private
    /// CA); empty = the system's roots.
    pub ca_file: String,
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
    /// The operator's front end (`TRESOR_APP_URL`), without a trailing `/`; `None` = the hosted
    /// pages serve the links in emails.
    pub app_url: Option<String>,
    pub database_url: SecretString,
    pub redis_url: Option<SecretString>,
    /// The root certificate (PEM) `rediss://` is checked against, from `[redis] ca_file`.
    pub redis_ca: Option<Vec<u8>>,
    pub log_format: LogFormat,
    pub settings: Settings,
}

impl Config {
    pub fn bind(&self) -> SocketAddr {
        self.settings.server.bind
    }

    /// Where `/metrics` is served apart from the API (`[metrics] bind`), if anywhere.
    pub fn metrics_bind(&self) -> Option<SocketAddr> {
        self.settings.metrics.private_bind().ok().flatten()
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}
