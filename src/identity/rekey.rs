//! Re-encryption of users' personal data after `tresor keys rotate`: every sealed field not
//! under the active encryption key is opened and sealed again, and every SSN blind index not
//! under the active MAC key is recomputed — in batches, one transaction each, with each row
//! updated only if it did not change meanwhile, so it runs safely beside serving processes.
//! (`crate::commands::keys` runs this beside the other capabilities' re-sealing.)

use super::pii::{self, Column};
use super::store::sealed;
use crate::crypto::Keys;
use crate::db::Db;

/// What one run did.
#[derive(Debug, Default)]
pub struct Resealed {
    pub users: u64,
    /// Rows still under an older key (changed by a process that has not loaded the new key
    /// yet); running `tresor keys rotate` again finishes them.
    pub remaining: u64,
}

/// Re-encrypts until nothing is left under an old key, or a pass makes no progress.
#[tracing::instrument(skip_all)]
pub async fn reseal_personal_data(db: &Db, keys: &Keys, batch: i64) -> anyhow::Result<Resealed> {
    let mut report = Resealed::default();
    let sealed_prefix = format!("v1:{}:%", keys.encryption.active().0);
    let index_prefix = format!("{}:%", keys.mac.active().0);
    loop {
        let rows = sealed::stale(db.reader(), &sealed_prefix, &index_prefix, batch).await?;
        if rows.is_empty() {
            break;
        }
        let mut tx = db.begin().await?;
        let mut progressed = 0;
        for row in &rows {
            let ring = &keys.encryption;
            let reseal = |column: Column| -> anyhow::Result<Option<String>> {
                let Some(stored) = row.column(column) else { return Ok(None) };
                Ok(Some(pii::seal(ring, column, &row.id, &pii::open(ring, column, &row.id, stored)?)))
            };
            let new =
                [reseal(Column::Phone)?, reseal(Column::DateOfBirth)?, reseal(Column::Ssn)?, reseal(Column::Address)?];
            let ssn = pii::open_opt(ring, Column::Ssn, &row.id, row.ssn.as_deref())?;
            let index = ssn.as_deref().map(|ssn| pii::ssn_index(&keys.mac, ssn));
            if sealed::rewrite(&mut tx, row, &new, index).await? {
                progressed += 1;
            }
        }
        tx.commit().await?;
        report.users += progressed;
        if progressed == 0 {
            report.remaining = rows.len() as u64;
            break;
        }
    }
    Ok(report)
}
