//! Walking the chain from the first link to the head.

use serde::Serialize;

use super::chain::GENESIS;
use super::store;
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
pub(super) async fn verify(db: &Db) -> Result<ChainReport, sqlx::Error> {
    // Staged entries are part of what happened: chain them first, then check everything.
    super::linker::link_pending(db).await?;
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1_i64;
    let mut last_id: Option<String> = None;
    loop {
        let rows = store::links(db.reader(), expected_seq, PAGE).await?;
        let fetched = rows.len();
        for row in rows {
            let checked = expected_seq - 1;
            if row.seq != expected_seq {
                let problem = format!("link {expected_seq} is missing (found {} next)", row.seq);
                return Ok(ChainReport::bad(checked, Some(row.entry.id), problem));
            }
            if row.prev_hash != expected_prev {
                let problem = format!("link {} does not point back to link {}", row.seq, row.seq - 1);
                return Ok(ChainReport::bad(checked, Some(row.entry.id), problem));
            }
            if row.entry.hash(row.seq, &row.prev_hash) != row.hash {
                let problem = format!("link {} was altered: its content does not match its hash", row.seq);
                return Ok(ChainReport::bad(checked, Some(row.entry.id), problem));
            }
            expected_prev = row.hash;
            expected_seq += 1;
            last_id = Some(row.entry.id);
        }
        if fetched < PAGE as usize {
            break;
        }
    }
    let checked = expected_seq - 1;
    let head = store::head(db.reader()).await?;
    if head.seq != checked || head.hash != expected_prev {
        let problem = format!("the chain ends at link {checked} but its head says link {}", head.seq);
        return Ok(ChainReport::bad(checked, last_id, problem));
    }
    Ok(ChainReport { ok: true, checked, first_bad_id: None, problem: None })
}
