//! Schema migrations: one folder per engine, embedded in the binary, applied by `serve` and
//! `migrate`. Safe to run from several processes at once: PostgreSQL takes an advisory lock
//! (sqlx does), SQLite takes an exclusive lock on a file beside the database.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use anyhow::Context;
use sqlx::migrate::Migrator;

use super::{Db, Dialect};

/// The engine's migrations. Migrations applied by a later release that this binary does not
/// know are left alone rather than refused, so the previous release can be deployed again (a
/// rollback) on a database the next one migrated; docs/operations.md says when that is safe.
fn migrator(dialect: Dialect) -> Migrator {
    let mut migrator = match dialect {
        Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Dialect::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.set_ignore_missing(true);
    migrator
}

/// Applies every migration not yet applied. Idempotent.
#[tracing::instrument(skip_all, fields(dialect = ?db.dialect()))]
pub async fn migrate(db: &Db, sqlite_file: Option<PathBuf>) -> anyhow::Result<()> {
    let _guard = match (db.dialect(), sqlite_file) {
        (Dialect::Sqlite, Some(path)) => Some(lock_beside(path).await?),
        _ => None,
    };
    let migrator = migrator(db.dialect());
    // A connection of its own, closed when done: on PostgreSQL it drops the statement timeout
    // (a migration may rewrite a large table) without handing that back to the pool.
    let mut conn = db.writer().acquire().await.context("connecting to the database to migrate")?.detach();
    if db.dialect() == Dialect::Postgres {
        sqlx::query("SELECT set_config('statement_timeout', '0', false)").execute(&mut conn).await?;
    }
    migrator.run(&mut conn).await.context("applying database migrations")?;
    // The job queue's tables (apalis's own migrations, tracked in `_apalis_migrations`), under
    // the same lock, so the queue can live in this database and enqueues can join its
    // transactions whichever backend is configured.
    tresor_jobs::store::migrator_for(&conn).run(&mut conn).await.context("applying job queue migrations")?;
    tracing::info!(migrations = migrator.iter().count(), "database schema is current");
    Ok(())
}

/// Holds `<database>.migrate.lock` exclusively until dropped (the OS releases it on close).
async fn lock_beside(database: PathBuf) -> anyhow::Result<File> {
    let mut path = database.into_os_string();
    path.push(".migrate.lock");
    let path = PathBuf::from(path);
    tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening migration lock {}", path.display()))?;
        file.lock().with_context(|| format!("locking {}", path.display()))?;
        Ok(file)
    })
    .await
    .context("migration lock task")?
}
