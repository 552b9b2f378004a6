//! Opening the pools with each engine's settings.

use std::path::Path;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use super::PoolSettings;

/// Per-connection settings of the single SQLite writer: WAL (readers never block it), foreign
/// keys on, and `synchronous=FULL` so a committed transfer survives power loss.
const WRITER_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// Readers may never write: a write through the reader pool is a bug, and this makes it fail.
const READER_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;";

/// SQLite connections are not pinged before each checkout (sqlx's default): one is a file handle
/// of this process that nothing outside can close, and the ping is a round trip through the
/// connection's worker thread on every read.
pub async fn sqlite(url: &str, settings: &PoolSettings) -> Result<(AnyPool, AnyPool), sqlx::Error> {
    let url = with_create_mode(url);
    if let Some(parent) = crate::config::sqlite_path(&url).and_then(Path::parent) {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    let writer = AnyPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(|conn, _| Box::pin(async move { conn.execute(WRITER_PRAGMAS).await.map(|_| ()) }))
        .connect(&url)
        .await?;
    let reader = AnyPoolOptions::new()
        .max_connections(settings.max_connections)
        .test_before_acquire(false)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(|conn, _| Box::pin(async move { conn.execute(READER_PRAGMAS).await.map(|_| ()) }))
        .connect(&url)
        .await?;
    Ok((writer, reader))
}

/// Every PostgreSQL connection cancels a statement that runs longer than the statement timeout
/// (`statement_timeout`, set for the session when the connection opens), so a pathological
/// query or a lock wait cannot hold a connection — and the request waiting on it — for ever.
pub async fn postgres(url: &str, settings: &PoolSettings) -> Result<AnyPool, sqlx::Error> {
    let timeout_ms = settings.statement_timeout.as_millis().to_string();
    AnyPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(move |conn, _| {
            let timeout_ms = timeout_ms.clone();
            Box::pin(async move {
                sqlx::query("SELECT set_config('statement_timeout', $1, false)")
                    .bind(timeout_ms)
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
            })
        })
        .connect(url)
        .await
}

/// The database file is created on first start unless the URL says otherwise.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}
