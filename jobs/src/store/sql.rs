//! The database storages: apalis's own tables (`Jobs` on SQLite, `apalis.jobs` on PostgreSQL),
//! written here through the application's `sqlx::Any` connection so that an enqueue can join
//! the application's transaction — apalis's `push` always takes a pool connection of its own.
//! The columns written are exactly those apalis's own `push_tasks` writes.

use std::borrow::Cow;

use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, Row};

use super::overview::{DeadJob, Overview, QueueDepth};
use super::{NewJob, SqlDatabase};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlDialect {
    Sqlite,
    Postgres,
}

impl SqlDialect {
    /// The engine a database URL names.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("sqlite:") { Self::Sqlite } else { Self::Postgres }
    }

    /// The engine behind a connection.
    pub fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME { Self::Postgres } else { Self::Sqlite }
    }
}

/// apalis's schema migrations for the engine behind `conn`.
pub fn migrator_for(conn: &AnyConnection) -> Migrator {
    migrator(SqlDialect::of(conn))
}

/// apalis's schema migrations for `dialect`, recorded in their own table so they never mix
/// with the application's `_sqlx_migrations`. The application runs them beside its own.
pub fn migrator(dialect: SqlDialect) -> Migrator {
    let mut migrator = match dialect {
        SqlDialect::Sqlite => apalis_sqlite::SqliteStorage::<()>::migrations(),
        SqlDialect::Postgres => apalis_postgres::PostgresStorage::<()>::migrations(),
    };
    migrator.dangerous_set_table_name(Cow::Borrowed("_apalis_migrations"));
    // A later release's queue migrations do not stop this one from starting (a rollback).
    migrator.set_ignore_missing(true);
    migrator
}

/// Inserts `jobs` (one multi-row statement); a job whose queue already holds its idempotency
/// key (or id) is skipped. Returns how many rows were inserted.
pub(super) async fn insert(conn: &mut AnyConnection, dialect: SqlDialect, jobs: &[NewJob]) -> Result<u64, sqlx::Error> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let (head, row) = match dialect {
        SqlDialect::Sqlite => (
            "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, run_at, priority, metadata, \
             idempotency_key) VALUES ",
            "($, $, $, 'Pending', 0, $, $, 0, '{}', $)",
        ),
        SqlDialect::Postgres => (
            "INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at, priority, \
             metadata, idempotency_key) VALUES ",
            "($, $, $, 'Pending', 0, $, to_timestamp($), 0, NULL, $)",
        ),
    };
    let mut sql = String::with_capacity(head.len() + jobs.len() * (row.len() + 24));
    sql.push_str(head);
    let mut n = 0;
    for (i, _) in jobs.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        for part in row.split_inclusive('$') {
            sql.push_str(part);
            if part.ends_with('$') {
                n += 1;
                sql.push_str(&n.to_string());
            }
        }
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for job in jobs {
        let bytes = serde_json::to_vec(&job.payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        query = query
            .bind(bytes)
            .bind(job.ulid())
            .bind(job.queue)
            .bind(i64::try_from(job.max_attempts).unwrap_or(i64::MAX))
            .bind(job.run_at())
            .bind(job.key.clone());
    }
    Ok(query.execute(conn).await?.rows_affected())
}

/// Waiting: pending, fetched but not started, or failed with attempts left (a job a stopping
/// worker gave back). Dead: killed, or failed with no attempts left.
const SQLITE_DEPTH: &str = "SELECT job_type, \
     SUM(CASE WHEN status IN ('Pending', 'Queued') OR (status = 'Failed' AND attempts < max_attempts) THEN 1 ELSE 0 END) AS waiting, \
     SUM(CASE WHEN status = 'Running' THEN 1 ELSE 0 END) AS running, \
     SUM(CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) THEN 1 ELSE 0 END) AS dead \
     FROM Jobs WHERE status <> 'Done' GROUP BY job_type";
const POSTGRES_DEPTH: &str = "SELECT job_type, \
     SUM(CASE WHEN status IN ('Pending', 'Queued') OR (status = 'Failed' AND attempts < max_attempts) THEN 1 ELSE 0 END)::BIGINT AS waiting, \
     SUM(CASE WHEN status = 'Running' THEN 1 ELSE 0 END)::BIGINT AS running, \
     SUM(CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) THEN 1 ELSE 0 END)::BIGINT AS dead \
     FROM apalis.jobs WHERE status <> 'Done' GROUP BY job_type";
const SQLITE_FAILED: &str = "SELECT id, job_type, status, attempts, max_attempts, CAST(last_result AS TEXT) AS last_result, \
     done_at FROM Jobs WHERE status IN ('Failed', 'Killed') ORDER BY done_at DESC LIMIT $1";
const POSTGRES_FAILED: &str = "SELECT id, job_type, status, attempts::BIGINT AS attempts, max_attempts::BIGINT AS max_attempts, \
     last_result::TEXT AS last_result, EXTRACT(EPOCH FROM done_at)::BIGINT AS done_at FROM apalis.jobs \
     WHERE status IN ('Failed', 'Killed') ORDER BY done_at DESC NULLS LAST LIMIT $1";

pub(super) async fn overview(db: &SqlDatabase, queues: &[&'static str], limit: usize) -> Result<Overview, sqlx::Error> {
    let (depth_sql, failed_sql) = match db.dialect {
        SqlDialect::Sqlite => (SQLITE_DEPTH, SQLITE_FAILED),
        SqlDialect::Postgres => (POSTGRES_DEPTH, POSTGRES_FAILED),
    };
    let mut depths: Vec<QueueDepth> = queues.iter().map(|q| QueueDepth::empty(q)).collect();
    for row in sqlx::query(depth_sql).fetch_all(&db.reader).await? {
        let queue: String = row.try_get("job_type")?;
        let count = |name: &str| -> Result<u64, sqlx::Error> {
            Ok(u64::try_from(row.try_get::<Option<i64>, _>(name)?.unwrap_or(0)).unwrap_or(0))
        };
        if let Some(depth) = depths.iter_mut().find(|d| d.queue == queue) {
            depth.waiting = count("waiting")?;
            depth.running = count("running")?;
            depth.dead = count("dead")?;
        }
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut recent_failures = Vec::new();
    for row in sqlx::query(failed_sql).bind(limit).fetch_all(&db.reader).await? {
        let status: String = row.try_get("status")?;
        let attempts: i64 = row.try_get("attempts")?;
        let max_attempts: i64 = row.try_get("max_attempts")?;
        recent_failures.push(DeadJob {
            id: row.try_get("id")?,
            queue: row.try_get("job_type")?,
            attempts: u64::try_from(attempts).unwrap_or(0),
            dead: status == "Killed" || attempts >= max_attempts,
            error: DeadJob::error_of(row.try_get::<Option<String>, _>("last_result")?.as_deref()),
            finished_at: row.try_get::<Option<i64>, _>("done_at")?,
        });
    }
    Ok(Overview::new(depths, recent_failures))
}

/// Deletes done jobs that finished before `before` (Unix seconds).
pub(super) async fn prune_finished(db: &SqlDatabase, before: i64) -> Result<u64, sqlx::Error> {
    let _turn = db.turn().await;
    let sql = match db.dialect {
        SqlDialect::Sqlite => "DELETE FROM Jobs WHERE status = 'Done' AND done_at < $1",
        SqlDialect::Postgres => "DELETE FROM apalis.jobs WHERE status = 'Done' AND done_at < to_timestamp($1)",
    };
    Ok(sqlx::query(sql).bind(before).execute(&db.writer).await?.rows_affected())
}

/// Dead: killed, or failed with no attempts left (as in the overview).
const DEAD: &str = "(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts))";

/// Puts dead jobs back with their attempts reset, due now: the one with `id`, or every dead job
/// when `id` is `None`. Returns how many.
pub(super) async fn retry_dead(db: &SqlDatabase, id: Option<&str>) -> Result<u64, sqlx::Error> {
    let _turn = db.turn().await;
    let head = match db.dialect {
        SqlDialect::Sqlite => {
            "UPDATE Jobs SET status = 'Pending', attempts = 0, run_at = strftime('%s', 'now'), lock_by = NULL, \
             lock_at = NULL, done_at = NULL WHERE "
        }
        SqlDialect::Postgres => {
            "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(), lock_by = NULL, \
             lock_at = NULL, done_at = NULL WHERE "
        }
    };
    let result = match id {
        Some(id) => {
            let sql = format!("{head}{DEAD} AND id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).execute(&db.writer).await?
        }
        None => sqlx::query(sqlx::AssertSqlSafe(format!("{head}{DEAD}"))).execute(&db.writer).await?,
    };
    Ok(result.rows_affected())
}
