//! Walking the chain from the first link to the head.

use serde::Serialize;
use sqlx::Row;

use super::chain::{GENESIS, Link};
use crate::db::Db;

const PAGE: i64 = 1000;

/// The outcome of a walk: `ok` with how many links were checked, or the first bad one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    pub checked: i64,
    /// The id of the first link whose content, position or back-pointer does not match.
    pub first_bad_id: Option<String>,
    /// Why that link is bad, in words.
    pub problem: Option<String>,
}

impl ChainReport {
    fn bad(checked: i64, id: Option<String>, problem: String) -> Self {
        Self { ok: false, checked, first_bad_id: id, problem: Some(problem) }
    }
}

/// Recomputes every hash in order and checks each back-pointer, the sequence (no gaps, so a
/// deleted row shows) and the head (so a deleted last row shows), after linking what is staged.
#[tracing::instrument(skip_all)]
pub async fn verify(db: &Db) -> Result<ChainReport, sqlx::Error> {
    // Staged entries are part of what happened: chain them first, then check everything.
    super::link_pending(db).await?;
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1_i64;
    let mut last_id: Option<String> = None;
    loop {
        let rows = sqlx::query(
            "SELECT seq, id, at, actor_id, action, target_type, target_id, ip, user_agent, \
             old_value, new_value, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(expected_seq)
        .bind(PAGE)
        .fetch_all(db.reader())
        .await?;
        let fetched = rows.len();
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            let id: String = row.try_get("id")?;
            let stored_hash: String = row.try_get("hash")?;
            let checked = expected_seq - 1;
            if seq != expected_seq {
                let problem = format!("link {expected_seq} is missing (found {seq} next)");
                return Ok(ChainReport::bad(checked, Some(id), problem));
            }
            let (at, action, target_type): (String, String, String) =
                (row.try_get("at")?, row.try_get("action")?, row.try_get("target_type")?);
            let opt = |name: &str| row.try_get::<Option<String>, _>(name);
            let (actor_id, target_id, ip, user_agent, old_value, new_value) = (
                opt("actor_id")?,
                opt("target_id")?,
                opt("ip")?,
                opt("user_agent")?,
                opt("old_value")?,
                opt("new_value")?,
            );
            let prev_hash: String = row.try_get("prev_hash")?;
            if prev_hash != expected_prev {
                let problem = format!("link {seq} does not point back to link {}", seq - 1);
                return Ok(ChainReport::bad(checked, Some(id), problem));
            }
            let recomputed = Link {
                seq,
                id: &id,
                at: &at,
                actor_id: actor_id.as_deref(),
                action: &action,
                target_type: &target_type,
                target_id: target_id.as_deref(),
                ip: ip.as_deref(),
                user_agent: user_agent.as_deref(),
                old_value: old_value.as_deref(),
                new_value: new_value.as_deref(),
                prev_hash: &prev_hash,
            }
            .hash();
            if recomputed != stored_hash {
                let problem = format!("link {seq} was altered: its content does not match its hash");
                return Ok(ChainReport::bad(checked, Some(id), problem));
            }
            expected_prev = stored_hash;
            expected_seq += 1;
            last_id = Some(id);
        }
        if fetched < PAGE as usize {
            break;
        }
    }
    let checked = expected_seq - 1;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(db.reader()).await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    if head_seq != checked || head_hash != expected_prev {
        let problem = format!("the chain ends at link {checked} but its head says link {head_seq}");
        return Ok(ChainReport::bad(checked, last_id, problem));
    }
    Ok(ChainReport { ok: true, checked, first_bad_id: None, problem: None })
}
