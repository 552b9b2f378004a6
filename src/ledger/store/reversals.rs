//! Reversals inside the committing transaction: which originals are reversed already and which
//! approval requests are still pending (read under the transaction's locks, for the plan), the
//! `reversals` rows linking each compensating entry to its original, and the approval requests
//! a reversal decides. The approval's row is written here, in the ledger's transaction, because
//! approving a reversal *is* posting it: both commit together or neither does.

use std::collections::HashSet;

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::{Dialect, batch, decode};
use crate::ledger::entry::Entry;
use crate::ledger::plan::LockedState;

/// The originals among `originals` already reversed, and the approvals among `approvals` still
/// pending — locked until commit on PostgreSQL (in id order), so a concurrent decision waits.
#[tracing::instrument(skip_all)]
pub async fn state(
    conn: &mut AnyConnection,
    originals: &[Uuid],
    approvals: &[Uuid],
) -> Result<LockedState, sqlx::Error> {
    let mut state = LockedState::default();
    if !originals.is_empty() {
        let sql = format!("SELECT reverses FROM reversals WHERE reverses IN ({})", batch::list(1, originals.len()));
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for id in originals {
            query = query.bind(id.to_string());
        }
        for id in query.fetch_all(&mut *conn).await? {
            state.reversed.insert(decode::uuid(&id)?);
        }
    }
    if !approvals.is_empty() {
        let mut ids: Vec<String> = approvals.iter().map(Uuid::to_string).collect();
        ids.sort();
        ids.dedup();
        let sql = format!(
            "SELECT id FROM approval_requests WHERE status = 'pending' AND kind = 'reversal' AND id IN ({}) ORDER BY id{}",
            batch::list(1, ids.len()),
            Dialect::of(conn).for_update()
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(id);
        }
        for id in query.fetch_all(&mut *conn).await? {
            state.pending_approvals.insert(decode::uuid(&id)?);
        }
    }
    Ok(state)
}

/// The `reversals` rows of the batch's reversal entries (inserted after the entries).
pub fn rows(entries: &[Entry<'_>], at: &str) -> Insert {
    let mut rows = Insert::new("reversals", &["entry_id", "reverses", "approval_id", "created_at"]);
    for entry in entries {
        let Some(reverses) = &entry.command.reverses else { continue };
        rows.row([
            entry.id.to_string().into(),
            reverses.original.to_string().into(),
            reverses.approval.as_ref().map(|a| a.id.to_string()).into(),
            at.into(),
        ]);
    }
    rows
}

/// Marks the approval requests of the batch's reversals approved. Each was read pending under
/// the transaction's lock, so each update finds its row.
#[tracing::instrument(skip_all)]
pub async fn approve(conn: &mut AnyConnection, entries: &[Entry<'_>], at: &str) -> Result<(), sqlx::Error> {
    for entry in entries {
        let Some(approval) = entry.command.reverses.as_ref().and_then(|r| r.approval.as_ref()) else { continue };
        sqlx::query(
            "UPDATE approval_requests SET status = 'approved', decided_by = $1, decided_at = $2, decision_note = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(approval.decided_by.to_string())
        .bind(at)
        .bind(approval.note.clone())
        .bind(approval.id.to_string())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The originals and approvals named by reversal commands.
pub fn named<'a>(commands: impl Iterator<Item = &'a crate::ledger::command::Command>) -> (Vec<Uuid>, Vec<Uuid>) {
    let (mut originals, mut approvals) = (HashSet::new(), HashSet::new());
    for reverses in commands.filter_map(|c| c.reverses.as_ref()) {
        originals.insert(reverses.original);
        approvals.extend(reverses.approval.as_ref().map(|a| a.id));
    }
    (originals.into_iter().collect(), approvals.into_iter().collect())
}
