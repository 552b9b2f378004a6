//! The store's connection to SQLite or PostgreSQL.
//!
//! One code path serves both databases through `sqlx::Any` with portable column types (TEXT,
//! BIGINT/INTEGER, BLOB): ids are UUID text, times are fixed-width RFC 3339 text (so they sort
//! and compare as strings), flags are 0/1 integers. Where a dialect matters (row locks, advisory
//! locks), [`Dialect`] says which SQL to send.

pub mod batch;
pub mod decode;
pub mod insert;
mod migrate;
mod pool;
pub mod reseal;
pub mod time;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::{Any, AnyPool, Transaction};

pub use migrate::migrate;

/// Which database engine sits behind the pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("sqlite:") { Self::Sqlite } else { Self::Postgres }
    }

    /// The engine behind a connection, for code that holds a connection but not the [`Db`].
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME { Self::Postgres } else { Self::Sqlite }
    }

    /// The suffix that locks selected rows until commit. SQLite needs none: its write
    /// transactions start with `BEGIN IMMEDIATE` and so already hold the database's write lock.
    pub fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }
}

/// How many connections to open and how long to wait for one.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL: how long one statement may run before the server cancels it (zero: no limit).
    pub statement_timeout: Duration,
}

/// The database: a writer pool and a reader pool. On SQLite the writer is one connection, so
/// writes queue in-process instead of failing with `SQLITE_BUSY`, and the readers are read-only
/// connections that WAL lets run beside it. On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    writer: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
}

pub type Tx = Transaction<'static, Any>;

impl Db {
    pub async fn connect(url: &SecretString, settings: &PoolSettings) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let url = url.expose_secret();
        let dialect = Dialect::of_url(url);
        let (writer, reader) = match dialect {
            Dialect::Sqlite => pool::sqlite(url, settings).await?,
            Dialect::Postgres => {
                let pool = pool::postgres(url, settings).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Self { writer, reader, dialect })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// The pool for single writes that need no transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction never fails half-way when another process writes.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.writer.begin().await,
        }
    }

    /// Starts a write transaction whose every statement looks rows up by key, so a plan made
    /// for any values is as good as one made for these: on PostgreSQL each prepared statement is
    /// then planned once per connection (`plan_cache_mode = force_generic_plan` for this
    /// transaction, set in the round trip that begins it) instead of at every execution — the
    /// ledger's multi-row statements took longer to plan than to run.
    pub async fn begin_keyed(&self) -> Result<Tx, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.begin().await,
            Dialect::Postgres => self.writer.begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan").await,
        }
    }

    /// Answers whether the database takes a query now; `/health/ready` asks this.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
