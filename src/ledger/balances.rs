//! Updating balances: the debited account behind its version fence, credited accounts by
//! addition, every row in ascending id order (so crossing transfers cannot deadlock).

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::command::{Command, Movement};
use super::commit::Retry;

/// A row as the batch left it.
pub struct After {
    pub balance: i64,
    pub version: i64,
    pub seq: i64,
    /// What this batch added to it, and how many postings.
    pub credited: i64,
    pub postings: i64,
}

pub struct Balances {
    pub source: After,
    /// The credited customer accounts (transfer destinations).
    pub counters: BTreeMap<Uuid, After>,
}

fn after(row: &sqlx::any::AnyRow, credited: i64, postings: i64) -> Result<After, sqlx::Error> {
    Ok(After {
        balance: row.try_get("balance")?,
        version: row.try_get("version")?,
        seq: row.try_get("posting_seq")?,
        credited,
        postings,
    })
}

pub async fn update(
    conn: &mut AnyConnection,
    account: Uuid,
    expected_version: i64,
    batch: &[Command],
    applied: &[usize],
) -> Result<Balances, Retry> {
    let delta: i64 = applied.iter().map(|i| batch[*i].delta()).sum();
    let debits = applied.iter().any(|i| batch[*i].is_debit());
    let postings = applied.len() as i64;
    let mut credits: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for i in applied {
        if batch[*i].movement == Movement::Transfer {
            let credit = credits.entry(batch[*i].counter_account).or_default();
            credit.0 += batch[*i].amount.minor_units();
            credit.1 += 1;
        }
    }
    // Every row in ascending id order, the actor's own account among them.
    let mut order: Vec<Uuid> = credits.keys().copied().chain([account]).collect();
    order.sort();
    let mut source = None;
    let mut counters = BTreeMap::new();
    for id in order {
        if id == account {
            // Debits are fenced by the version the batch was decided on; credits only add.
            let query = if debits {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2, version = version + 1 \
                     WHERE id = $3 AND version = $4 AND balance + $1 >= 0 AND status <> 'closed' \
                     RETURNING balance, version, posting_seq",
                )
                .bind(delta)
                .bind(postings)
                .bind(id.to_string())
                .bind(expected_version)
            } else {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
                     WHERE id = $3 AND status <> 'closed' RETURNING balance, version, posting_seq",
                )
                .bind(delta)
                .bind(postings)
                .bind(id.to_string())
            };
            let row = query.fetch_optional(&mut *conn).await?.ok_or(Retry::Stale)?;
            source = Some(after(&row, delta, postings)?);
        } else {
            let (credit, count) = credits[&id];
            let row = sqlx::query(
                "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
                 WHERE id = $3 AND status <> 'closed' AND is_system = 0 RETURNING balance, version, posting_seq",
            )
            .bind(credit)
            .bind(count)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Retry::Stale)?;
            counters.insert(id, after(&row, credit, count)?);
        }
    }
    let source = source.ok_or(Retry::Stale)?;
    Ok(Balances { source, counters })
}
