//! One committing transaction for the ready batches of one or several accounts: lock, read,
//! decide each batch, write them all, commit.

use chrono::Utc;

use super::{Job, LedgerStore};
use crate::ledger::command::{Command, Movement};
use crate::ledger::plan::{self, Plan, Snapshot, Stale};
use crate::ledger::retry::Retry;
use crate::ledger::store::{balances, counterparties, holds, idempotency, reversals, snapshots};
use crate::ledger::{flags, write};
use tresor_actors::Committed;
use uuid::Uuid;

impl LedgerStore {
    /// One transaction for the batches of several accounts (each account at most once): every
    /// row they touch locked first in ascending id order, each batch decided against its
    /// snapshot, all written with one statement per table. Answers one result per job, `None`
    /// for a stale one (nothing of it was written: decide it again on fresh data).
    pub async fn attempt(&self, jobs: &[Job]) -> Result<Vec<Option<Committed<Self>>>, Retry> {
        let mut tx = self.db.begin_keyed().await?;
        let commands: Vec<&Command> = jobs.iter().flat_map(|job| &job.batch).collect();
        let touched: Vec<Uuid> = jobs
            .iter()
            .map(|job| job.account)
            .chain(commands.iter().filter(|c| c.movement == Movement::Transfer).map(|c| c.counter_account))
            .collect();
        balances::lock(&mut tx, &touched).await?;
        let today = Utc::now().date_naive();
        let mut snapshots = Vec::with_capacity(jobs.len());
        for job in jobs {
            snapshots.push(match job.cached.clone() {
                Some(s) if s.day == today => s,
                Some(s) => Snapshot { day: today, outgoing_today: 0, ..s },
                None => snapshots::load(&mut tx, job.account, today).await?,
            });
        }
        let scopes: Vec<&str> =
            commands.iter().filter_map(|c| c.idempotency.as_ref()).map(|k| k.scope.as_str()).collect();
        let saved = idempotency::saved(&mut *tx, &scopes).await?;
        // The batches' own accounts too when events are written: each event names its owner.
        let sources = jobs.iter().map(|job| job.account).filter(|_| self.limits.outbox);
        let counters = counterparties::read(&mut tx, &destinations(&commands, sources)).await?;
        let (originals, approvals) = reversals::named(commands.iter().copied());
        let mut locked = reversals::state(&mut tx, &originals, &approvals).await?;
        let named_holds: Vec<Uuid> = commands.iter().filter_map(|c| c.hold.as_ref().map(|h| h.id())).collect();
        locked.open_holds = holds::open(&mut tx, &named_holds).await?;
        let refunds: Vec<Uuid> = commands
            .iter()
            .filter_map(|c| match c.hold {
                Some(crate::ledger::command::HoldOp::Refund { id }) => Some(id),
                _ => None,
            })
            .collect();
        locked.refundable = holds::refundable(&mut tx, &refunds).await?;
        let limited_cards: Vec<Uuid> = commands
            .iter()
            .filter_map(|c| match c.hold {
                Some(crate::ledger::command::HoldOp::Place { card: Some(card), daily_limit: Some(_), .. }) => {
                    Some(card)
                }
                _ => None,
            })
            .collect();
        let start_of_today = crate::db::time::to_db(today.and_time(chrono::NaiveTime::MIN).and_utc());
        locked.card_spent_today = holds::card_spent_since(&mut tx, &limited_cards, &start_of_today).await?;
        let now = Utc::now().timestamp();
        // Per job: its plan, or `None` when its cached balance was too low to decide on.
        let mut plans = Vec::with_capacity(jobs.len());
        for (job, snapshot) in jobs.iter().zip(&snapshots) {
            let from_cache = job.cached.is_some();
            plans.push(
                match plan::decide(snapshot, &job.batch, &saved, &counters.statuses, &locked, &self.limits, from_cache)
                {
                    Ok(Plan { steps, outgoing_today }) => {
                        let mut velocity = snapshot.velocity.clone();
                        let applied = |index: usize| matches!(steps[index], plan::Step::Apply);
                        let flags = flags::detect(&mut velocity, &job.batch, applied, &self.limits, now);
                        Some((steps, outgoing_today, velocity, flags))
                    }
                    Err(Stale) => None,
                },
            );
        }
        let decided: Vec<write::Decided<'_>> = jobs
            .iter()
            .zip(&snapshots)
            .zip(&plans)
            .filter_map(|((job, snapshot), plan)| {
                let (steps, _, _, flags) = plan.as_ref()?;
                Some(write::Decided { account: job.account, snapshot, batch: &job.batch, steps, flags })
            })
            .collect();
        let (written, mails) =
            write::apply(&mut tx, &self.keys.encryption, &counters, self.limits.outbox, &decided).await?;
        let mut written = written.into_iter();
        tx.commit().await?;
        self.reads.changed(&touched).await;
        self.mail_now(mails);

        let mut results = Vec::with_capacity(jobs.len());
        for ((snapshot, plan), job) in snapshots.into_iter().zip(plans).zip(jobs) {
            let Some((steps, outgoing_today, velocity, _)) = plan else {
                results.push(None);
                continue;
            };
            let Some(written) = written.next().flatten() else {
                results.push(None);
                continue;
            };
            count_committed(job, &steps);
            let snapshot = Snapshot {
                balance: written.balance.unwrap_or(snapshot.balance),
                held: written.held.unwrap_or(snapshot.held),
                version: written.version.unwrap_or(snapshot.version),
                outgoing_today,
                velocity,
                ..snapshot
            };
            let outcomes = written.responses.into_iter().map(Ok).collect();
            results.push(Some(Committed { snapshot: Some(snapshot), outcomes }));
        }
        Ok(results)
    }
}

/// Business metrics of a committed batch: transfers (count, volume, size) and reversals, per
/// currency.
fn count_committed(job: &Job, steps: &[plan::Step]) {
    use crate::business_metrics::{REVERSALS, TRANSFER_AMOUNT, TRANSFER_VOLUME, TRANSFERS};
    for (command, step) in job.batch.iter().zip(steps) {
        if !matches!(step, plan::Step::Apply) {
            continue;
        }
        let (currency, amount) = (command.currency.code(), command.amount.minor_units());
        if command.reverses.is_some() {
            metrics::counter!(REVERSALS, "currency" => currency).increment(1);
        } else if command.movement == Movement::Transfer {
            metrics::counter!(TRANSFERS, "currency" => currency).increment(1);
            metrics::counter!(TRANSFER_VOLUME, "currency" => currency).increment(amount.unsigned_abs());
            metrics::histogram!(TRANSFER_AMOUNT, "currency" => currency).record(amount as f64);
        }
    }
}

/// The distinct destinations of the transfers among `commands`, and `more`, sorted.
fn destinations(commands: &[&Command], more: impl Iterator<Item = Uuid>) -> Vec<String> {
    let mut ids: Vec<String> = commands
        .iter()
        .filter(|c| c.movement == Movement::Transfer)
        .map(|c| c.counter_account)
        .chain(more)
        .map(|id| id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
