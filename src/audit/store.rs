//! The audit tables' SQL: `audit_log` (the chain), `audit_head` (its last link, the lock that
//! serializes appends) and `audit_pending` (entries staged for the linker). One code path for
//! both engines; the row lock comes from the connection's dialect.

use sqlx::{AnyConnection, AnyPool};

use super::staged::Staged;
use crate::db::insert::Insert;
use crate::db::{Dialect, batch};

/// The columns of a link, in the order [`links`] and [`entries`] select them.
const LINK_COLUMNS: &str =
    "seq, id, at, actor_id, action, target_type, target_id, ip, user_agent, old_value, new_value, prev_hash, hash";

/// The chain's last link.
#[derive(Debug, sqlx::FromRow)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// One stored link, every column as stored (text, not parsed), so verification hashes exactly
/// what is in the database: the entry as it was staged, its place in the chain and the hashes.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub seq: i64,
    #[sqlx(flatten)]
    pub entry: Staged,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain head, locked until the transaction ends (SQLite's write transaction already holds
/// the database lock).
#[tracing::instrument(skip_all)]
pub async fn lock_head(conn: &mut AnyConnection) -> Result<Head, sqlx::Error> {
    let sql = format!("SELECT seq, hash FROM audit_head WHERE id = 1{}", Dialect::of(conn).for_update());
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await
}

/// The chain head, unlocked (for the verifier).
#[tracing::instrument(skip_all)]
pub async fn head(pool: &AnyPool) -> Result<Head, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await
}

/// Moves the head to the link just appended.
#[tracing::instrument(skip_all)]
pub async fn move_head(conn: &mut AnyConnection, seq: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(hash).execute(conn).await?;
    Ok(())
}

/// Inserts linked rows (built by the caller with [`link_rows`]) in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_links(conn: &mut AnyConnection, rows: Insert) -> Result<(), sqlx::Error> {
    rows.execute(conn).await?;
    Ok(())
}

/// An empty multi-row insert into `audit_log`, to fill with links.
pub fn link_rows() -> Insert {
    Insert::new(
        "audit_log",
        &[
            "seq",
            "id",
            "at",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "ip",
            "user_agent",
            "old_value",
            "new_value",
            "prev_hash",
            "hash",
        ],
    )
}

/// An empty multi-row insert into `audit_pending`, to fill with staged entries.
pub fn pending_rows() -> Insert {
    Insert::new(
        "audit_pending",
        &["id", "at", "actor_id", "action", "target_type", "target_id", "ip", "user_agent", "old_value", "new_value"],
    )
}

/// Whether anything waits to be linked. Unlocked and cheap: most calls find nothing. Through the
/// index, which skips the rows linked and deleted since the last vacuum (a scan would not).
#[tracing::instrument(skip_all)]
pub async fn any_pending(pool: &AnyPool) -> Result<bool, sqlx::Error> {
    let waiting: Option<String> =
        sqlx::query_scalar("SELECT id FROM audit_pending ORDER BY id LIMIT 1").fetch_optional(pool).await?;
    Ok(waiting.is_some())
}

/// Up to `limit` staged entries, oldest id first.
#[tracing::instrument(skip_all)]
pub async fn pending(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Staged>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, actor_id, action, target_type, target_id, ip, user_agent, old_value, new_value \
         FROM audit_pending ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Removes staged entries once linked.
#[tracing::instrument(skip_all, fields(count = staged.len()))]
pub async fn delete_pending(conn: &mut AnyConnection, staged: &[Staged]) -> Result<(), sqlx::Error> {
    let sql = format!("DELETE FROM audit_pending WHERE id IN ({})", batch::list(1, staged.len()));
    let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in staged {
        delete = delete.bind(row.id.clone());
    }
    delete.execute(conn).await?;
    Ok(())
}

/// Up to `limit` links from `seq` on, in order (the verifier's pages).
#[tracing::instrument(skip_all)]
pub async fn links(pool: &AnyPool, from_seq: i64, limit: i64) -> Result<Vec<LinkRow>, sqlx::Error> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from_seq).bind(limit).fetch_all(pool).await
}

/// Which links a page holds: the `WHERE` clauses over `$1..` and their text values, then an
/// optional integer bound on `seq`, the order and the size.
pub struct PageQuery {
    pub clauses: Vec<String>,
    pub texts: Vec<String>,
    pub seq: Option<(&'static str, i64)>,
    pub order: &'static str,
    pub limit: u32,
}

/// The links a [`PageQuery`] selects.
#[tracing::instrument(skip_all)]
pub async fn entries(pool: &AnyPool, page: PageQuery) -> Result<Vec<LinkRow>, sqlx::Error> {
    let mut clauses = page.clauses;
    if let Some((op, _)) = page.seq {
        clauses.push(format!("seq {op} ${}", page.texts.len() + 1));
    }
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM audit_log WHERE {} ORDER BY seq {} LIMIT {}",
        clauses.join(" AND "),
        page.order,
        i64::from(page.limit)
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for value in page.texts {
        query = query.bind(value);
    }
    if let Some((_, value)) = page.seq {
        query = query.bind(value);
    }
    query.fetch_all(pool).await
}
