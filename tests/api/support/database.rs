//! A database that exists for one test: a temporary SQLite file by default, or, with
//! `TEST_DATABASE_URL=postgres://…`, a PostgreSQL database created for the test and dropped after
//! it; and the Redis URL from `TEST_REDIS_URL`, if set.

use sqlx::{Connection, Executor, PgConnection};

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

/// The root certificate (PEM file) a `rediss://` `TEST_REDIS_URL` is checked against, from
/// `TEST_REDIS_CA_FILE` (the TLS run of `.ci/run` sets both).
pub fn redis_ca_file() -> Option<String> {
    std::env::var("TEST_REDIS_CA_FILE").ok().filter(|f| !f.is_empty())
}
