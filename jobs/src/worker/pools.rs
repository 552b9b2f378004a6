//! The connections the apalis storages poll with: typed sqlx pools of their own (apalis needs
//! `SqlitePool` / `PgPool`, the application holds `sqlx::Any` pools) or a Redis connection.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::settings::JobSettings;
use crate::store::{SqlDialect, Store, StoreError, WriteGate};

pub(super) enum Pools {
    /// The workers' connections and their turns with the process's other queue writers.
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
    Redis(apalis_redis::ConnectionManager, Box<dyn Fn(&str) -> apalis_redis::Config + Send + Sync>),
}

/// Without table statistics SQLite plans apalis's lock statement (`id IN (…) AND status IN …`)
/// as a walk over every waiting job instead of a primary-key lookup, so each job costs time
/// proportional to the queue's depth. `ANALYZE` here and hourly in `cleanup` keeps the
/// statistics current. Best effort: a failure only costs speed.
pub(crate) async fn refresh_statistics(pool: &SqlitePool) {
    if let Err(error) = sqlx::query("ANALYZE Jobs").execute(pool).await {
        tracing::debug!(error = %error, "ANALYZE failed");
    }
}

impl Pools {
    pub(super) async fn open(store: &Store, settings: &JobSettings) -> Result<Self, StoreError> {
        if let Some(db) = store.sql_database() {
            // PostgreSQL: one connection per queue polls, locks and acknowledges. SQLite takes
            // one writer at a time anyway, so two connections suffice there. One is not enough:
            // with one, a worker under load kept its connection checked out — and the write lock
            // held — for the pool's whole acquire timeout, while another process's write waited.
            let queues = u32::try_from(settings.queues.len()).unwrap_or(4).max(1);
            return Ok(match db.dialect {
                SqlDialect::Sqlite => {
                    let options = SqliteConnectOptions::from_str(&db.url)?
                        .busy_timeout(Duration::from_secs(10))
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full);
                    let pool = SqlitePoolOptions::new().max_connections(2).connect_lazy_with(options);
                    refresh_statistics(&pool).await;
                    Self::Sqlite(pool, db.gate.clone())
                }
                SqlDialect::Postgres => {
                    Self::Postgres(PgPoolOptions::new().max_connections(queues + 1).connect_lazy(&db.url)?)
                }
            });
        }
        let redis = store.redis_queue().ok_or_else(|| StoreError::Redis("no storage configured".into()))?;
        let conn = redis.connection().await?;
        let namespace = settings.namespace.clone();
        let ttl = settings.idempotency_ttl;
        Ok(Self::Redis(
            conn,
            Box::new(move |queue| {
                apalis_redis::Config::default().queue(format!("{namespace}:{queue}")).idempotency_ttl(Some(ttl))
            }),
        ))
    }
}
