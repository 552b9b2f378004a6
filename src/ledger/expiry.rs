//! The expiry of holds: open holds whose `expires_at` has passed are released (status
//! `expired`) through the ledger's committing path — fenced like any hold change, one batch per
//! account — so a capture racing the expiry ends the hold once, whichever comes first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::command::HoldOp;
use super::commit::LedgerStore;
use super::directory::Directory;
use super::money::Amount;
use super::store::holds;
use crate::audit::Actor;
use crate::db::time;

/// Most holds one run expires (the next run takes the rest).
const PER_RUN: i64 = 1_000;

/// Expires the open holds past their time at `now`; answers how many ended.
#[tracing::instrument(skip_all)]
pub async fn expire_holds(store: &LedgerStore, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let due = holds::expired(store.db.reader(), &time::to_db(now), PER_RUN).await?;
    let directory = Directory::default();
    let mut by_account: BTreeMap<uuid::Uuid, Vec<_>> = BTreeMap::new();
    for hold in &due {
        let cash = directory.cash(&store.db, hold.currency).await?;
        let amount = Amount::new(hold.amount).map_err(|e| anyhow::anyhow!(e))?;
        let op = HoldOp::Release { id: hold.id, held: hold.amount, expired: true };
        let command = hold.end_command(&Actor::system(), amount, op, None, cash);
        by_account.entry(hold.account_id).or_default().push(command);
    }
    let mut ended = 0;
    for (account, batch) in by_account {
        let committed = store.commit_batch(account, None, batch).await.map_err(|e| anyhow::anyhow!(e))?;
        ended += committed.outcomes.iter().filter(|o| matches!(o, Ok(o) if o.status == 200)).count() as u64;
    }
    Ok(ended)
}
