//! The test harness: the real application on port 0 against a fresh database per test — a
//! temporary SQLite file by default, or, with `TEST_DATABASE_URL=postgres://…`, a PostgreSQL
//! database created for the test and dropped after it. `TEST_REDIS_URL` adds Redis.

use std::path::PathBuf;

use actix_web::web;
use figment::providers::Serialized;
use sqlx::{Connection, Executor, PgConnection};
use tresor::config::{Config, Environment, defaults, from_figment};
use tresor::http::Application;
use tresor::state::AppState;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub database: TestDatabase,
    pub data_dir: tempfile::TempDir,
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(data_dir: &std::path::Path) -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            None => Self { url: format!("sqlite://{}", data_dir.join("tresor.db").display()), postgres: None },
            Some(base) => {
                let name = format!("tresor_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&base).await.expect("TEST_DATABASE_URL must accept connections");
                admin
                    .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                    .await
                    .expect("create test database");
                let url = with_database(&base, &name);
                Self { url, postgres: Some((base, name)) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((base, name)) = self.postgres.take() else { return };
        // Drop runs outside async: drop the database from a short-lived runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&base).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)))
                        .await;
                }
            });
        })
        .join();
    }
}

fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = base.split_once('?').map_or((base, None), |(b, q)| (b, Some(q)));
    let root = without_query.rsplit_once('/').map_or(without_query, |(root, _)| root);
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty())
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
        Some(url) => figment.merge(Serialized::default("redis.url", url)),
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
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, client, state, database, data_dir }
}

impl TestApp {
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

pub fn cli_command(data_dir: &std::path::Path, database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRESOR_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tresor"))
}

/// Asserts the contract every error shares: problem+json with a slug, the security headers and
/// a request id. Returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, slug: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_security_headers(response.headers());
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["type"], format!("/problems/{slug}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

pub fn assert_security_headers(headers: &reqwest::header::HeaderMap) {
    for name in ["strict-transport-security", "content-security-policy", "x-request-id"] {
        assert!(headers.contains_key(name), "missing {name}");
    }
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}
