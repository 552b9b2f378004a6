//! The linker: chains the entries staged in `audit_pending` (by [`super::staged_rows`]) onto the
//! audit log. Every `serve` process runs it in the background, and every reader of the chain
//! runs it first, so what a reader sees includes every committed change. Linkers in several
//! processes serialize on the chain head; each entry is linked exactly once because it is
//! deleted from `audit_pending` in the transaction that links it.

use std::time::Duration;

use sqlx::Row;

use super::append::{Staged, link};
use crate::db::{Db, batch};

/// Most entries linked in one transaction (13 bound values each stay under SQLite's limit).
const BATCH: i64 = 1000;

/// Links every staged entry committed so far, oldest id first. Answers how many it linked.
#[tracing::instrument(skip_all)]
pub async fn link_pending(db: &Db) -> Result<u64, sqlx::Error> {
    let mut linked = 0;
    loop {
        // Unlocked and cheap: most calls find nothing to do. Through the index, which skips
        // the rows linked and deleted since the last vacuum (a scan of the table would not).
        let waiting: Option<String> =
            sqlx::query_scalar("SELECT id FROM audit_pending ORDER BY id LIMIT 1").fetch_optional(db.reader()).await?;
        if waiting.is_none() {
            return Ok(linked);
        }
        let mut tx = db.begin().await?;
        // Read under the head lock, so a concurrent linker's deletions are already visible
        // (`link` takes the lock again, a no-op within this transaction).
        lock_head(&mut tx, db).await?;
        let rows = sqlx::query(
            "SELECT id, at, actor_id, action, target_type, target_id, ip, user_agent, old_value, new_value \
             FROM audit_pending ORDER BY id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let staged = rows.iter().map(staged).collect::<Result<Vec<_>, _>>()?;
        if staged.is_empty() {
            tx.rollback().await?;
            return Ok(linked);
        }
        link(&mut tx, db.dialect(), &staged).await?;
        let sql = format!("DELETE FROM audit_pending WHERE id IN ({})", batch::list(1, staged.len()));
        let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in &staged {
            delete = delete.bind(row.id.clone());
        }
        delete.execute(&mut *tx).await?;
        tx.commit().await?;
        linked += staged.len() as u64;
        metrics::counter!("audit_linked_total").increment(staged.len() as u64);
        if (staged.len() as i64) < BATCH {
            return Ok(linked);
        }
    }
}

async fn lock_head(conn: &mut sqlx::AnyConnection, db: &Db) -> Result<(), sqlx::Error> {
    if db.dialect() == crate::db::Dialect::Postgres {
        sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE").fetch_one(&mut *conn).await?;
    }
    Ok(())
}

fn staged(row: &sqlx::any::AnyRow) -> Result<Staged, sqlx::Error> {
    Ok(Staged {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        old_value: row.try_get("old_value")?,
        new_value: row.try_get("new_value")?,
    })
}

/// Links staged entries every `every` until the process stops. A failed round is logged and
/// retried on the next tick; nothing is lost, the entries wait in `audit_pending`.
pub async fn run_linker(db: Db, every: Duration) {
    let mut ticks = actix_web::rt::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = link_pending(&db).await {
            tracing::warn!(error = %error, "linking staged audit entries failed; retrying");
        }
    }
}
