//! The application under test: `TestApp`, the real service on port 0 against its own database
//! (see `database`) and data folder, with the settings every test starts from; and the real
//! `tresor` binary for CLI tests.

use std::path::PathBuf;

use actix_web::web;
use figment::providers::Serialized;
use tresor::config::{Config, Environment, defaults, from_figment};
use tresor::http::Application;
use tresor::state::AppState;

use super::database::{TestDatabase, redis_ca_file, redis_url};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub database: TestDatabase,
    pub data_dir: tempfile::TempDir,
    /// The private `/metrics` server's address, when `[metrics] bind` is set.
    pub metrics_address: Option<String>,
}

/// Settings for a test: fresh data folder, port 0, one HTTP worker; `tune` may change more.
pub fn test_config(
    data_dir: &std::path::Path,
    database_url: &str,
    tune: impl FnOnce(figment::Figment) -> figment::Figment,
) -> Config {
    let figment = defaults()
        .merge(Serialized::default("data_dir", data_dir.display().to_string()))
        .merge(Serialized::default("server.bind", "127.0.0.1:0"))
        .merge(Serialized::default("server.workers", 1))
        .merge(Serialized::default("server.shutdown_timeout_secs", 1))
        .merge(Serialized::default("database.url", database_url))
        .merge(Serialized::default("database.max_connections", 4))
        // Fast password hashing keeps the suite quick; one test signs in at the real parameters.
        .merge(Serialized::default("passwords.argon2_memory_kib", 1024))
        .merge(Serialized::default("passwords.argon2_iterations", 1))
        .merge(Serialized::default("passwords.hash_threads", 2))
        // Identity rate limits are off unless a test turns one on (tests share 127.0.0.1 and,
        // with TEST_REDIS_URL, one Redis).
        .merge(Serialized::default("rate_limits.login_ip_email", "off"))
        .merge(Serialized::default("rate_limits.login_ip", "off"))
        .merge(Serialized::default("rate_limits.register", "off"))
        .merge(Serialized::default("rate_limits.password_forgot", "off"))
        .merge(Serialized::default("rate_limits.refresh", "off"));
    let figment = match redis_url() {
        // Each test app has its own key namespace in the shared Redis.
        Some(url) => figment
            .merge(Serialized::default("redis.url", url))
            .merge(Serialized::default("redis.prefix", format!("tresor-test-{}", uuid::Uuid::new_v4().simple()))),
        None => figment,
    };
    // With TEST_DOCUMENTS_STORE=s3, documents go to the S3 test server, under a prefix per app.
    let figment = match super::s3::server().filter(|_| super::s3::documents_on_s3()) {
        Some(s3) => s3.configure(figment, &format!("test-{}", uuid::Uuid::new_v4().simple())),
        None => figment,
    };
    let figment = match redis_ca_file() {
        Some(file) => figment.merge(Serialized::default("redis.ca_file", file)),
        None => figment,
    };
    from_figment(Environment::Test, tune(figment)).expect("test configuration is valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|figment| figment).await
}

pub async fn spawn_app_with(tune: impl FnOnce(figment::Figment) -> figment::Figment) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create(data_dir.path()).await;
    let config = test_config(data_dir.path(), &database.url, tune);
    let app = Application::build(config).await.expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, client, state, database, data_dir, metrics_address }
}

impl TestApp {
    /// The folder holding this app's encrypted document files: the local store's, or the S3
    /// test server's folder for the app's prefix.
    pub fn documents_dir(&self) -> PathBuf {
        let documents = &self.state.config.settings.documents;
        match (documents.store, super::s3::server()) {
            (tresor::config::DocumentBackend::S3, Some(s3)) => s3.folder(&documents.s3.prefix),
            _ => self.data_dir.path().join("documents"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request is sent")
    }

    pub async fn health_live(&self) -> reqwest::Response {
        self.get("/health/live").await
    }

    pub async fn health_ready(&self) -> reqwest::Response {
        self.get("/health/ready").await
    }

    pub async fn metrics(&self) -> reqwest::Response {
        self.get("/metrics").await
    }

    pub async fn openapi(&self) -> serde_json::Value {
        self.get("/openapi.json").await.json().await.expect("openapi is JSON")
    }

    /// Runs the real `tresor` binary against this test's database and data folder.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        cli_command(self.data_dir.path(), &self.database.url).args(args).output().expect("tresor runs")
    }
}

/// Runs `tresor migrate` with one setting and asserts the refusal every bad setting gets: one
/// line on stderr naming `named`, exit 2. Returns the line.
pub fn assert_setting_refused(name: &str, value: &str, named: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = cli_command(dir.path(), "sqlite://unused.db").env(name, value).arg("migrate").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    assert!(stderr.to_lowercase().contains(&named.to_lowercase()), "{name}: {stderr}");
    stderr
}

pub fn cli_command(data_dir: &std::path::Path, database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRESOR_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(file) = redis_ca_file() {
        command.env("TRESOR__REDIS__CA_FILE", file);
    }
    command
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tresor"))
}
