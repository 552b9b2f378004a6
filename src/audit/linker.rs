//! The linker: chains the entries staged in `audit_pending` (by [`super::staged_rows`]) onto the
//! audit log. Every `serve` process runs it in the background, and every reader of the chain
//! runs it first, so what a reader sees includes every committed change. Linkers in several
//! processes serialize on the chain head; each entry is linked exactly once because it is
//! deleted from `audit_pending` in the transaction that links it.

use std::time::Duration;

use super::append::link;
use super::store;
use crate::db::Db;

/// Most entries linked in one transaction (13 bound values each stay under SQLite's limit).
const BATCH: i64 = 1000;

/// Links every staged entry committed so far, oldest id first. Answers how many it linked.
#[tracing::instrument(skip_all)]
pub(super) async fn link_pending(db: &Db) -> Result<u64, sqlx::Error> {
    let mut linked = 0;
    loop {
        if !store::any_pending(db.reader()).await? {
            return Ok(linked);
        }
        let mut tx = db.begin().await?;
        // Read under the head lock, so a concurrent linker's deletions are already visible
        // (`link` takes the lock again, a no-op within this transaction).
        store::lock_head(&mut tx).await?;
        let staged = store::pending(&mut tx, BATCH).await?;
        if staged.is_empty() {
            tx.rollback().await?;
            return Ok(linked);
        }
        link(&mut tx, &staged).await?;
        store::delete_pending(&mut tx, &staged).await?;
        tx.commit().await?;
        linked += staged.len() as u64;
        metrics::counter!("audit_linked_total").increment(staged.len() as u64);
        if (staged.len() as i64) < BATCH {
            return Ok(linked);
        }
    }
}

/// Links staged entries every `every` until the process stops. A failed round is logged and
/// retried on the next tick; nothing is lost, the entries wait in `audit_pending`.
pub(super) async fn run_linker(db: Db, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = link_pending(&db).await {
            tracing::warn!(error = %error, "linking staged audit entries failed; retrying");
        }
    }
}
