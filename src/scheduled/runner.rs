//! Running schedules on the job queue. The `scheduled_tick` cron job (every `[scheduled]
//! tick_secs`, on every worker; its job id is the tick time, so one runs per tick) enqueues one
//! `scheduled_transfer` job per due occurrence (its job key is the schedule and the day) and
//! moves the schedule on, in one transaction guarded by the schedule's current next day. Each
//! occurrence then goes through the ledger like `POST /v1/transfers`, under the ledger
//! idempotency key `scheduled-transfer:<schedule>:<day>`: however many workers run it, however
//! often it is retried, the money moves at most once and every run gets the first answer. What
//! it came to is recorded once; a refusal is emailed to the owner.

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use tresor_jobs::email::{Email, Template};
use tresor_jobs::{RunScheduledTransfer, Store};
use uuid::Uuid;

use super::model::{Occurrence, ScheduleStatus, ScheduledTransfer};
use super::store;
use crate::audit::Actor;
use crate::config::LedgerSettings;
use crate::crypto::Keys;
use crate::db::{Db, time};
use crate::ledger::command::{Command, Idempotency, Movement, Outcome};
use crate::ledger::commit::LedgerStore;
use crate::ledger::directory::Directory;
use crate::ledger::money::{Amount, Currency};
use crate::ledger::number::AccountNumber;
use crate::mail;
use crate::read_cache::Changes;

/// Schedules moved on per database read of due schedules.
const DUE_BATCH: i64 = 100;
/// Occurrences one tick enqueues for one schedule at most (catching up after a long stop).
const CATCH_UP: usize = 62;

pub struct Runner {
    db: Db,
    keys: Arc<Keys>,
    jobs: Store,
    ledger: LedgerStore,
    directory: Directory,
}

impl Runner {
    /// The ledger is committed to directly (the row-locking path every process may take beside
    /// the account actors: fenced like theirs), so a `tresor worker` needs no actors.
    pub fn new(db: Db, keys: Arc<Keys>, jobs: Store, reads: Arc<Changes>, ledger: LedgerSettings) -> Self {
        let settings = LedgerSettings { committers: 0, ..ledger };
        let ledger = LedgerStore::combined(db.clone(), settings, keys.clone(), reads, Some(jobs.clone()));
        Self { db, keys, jobs, ledger, directory: Directory::default() }
    }

    /// Enqueues every occurrence due on or before `today` and moves each schedule on. Answers
    /// how many occurrences this tick enqueued (another tick may have taken some first).
    #[tracing::instrument(skip_all, fields(%today))]
    pub async fn tick(&self, today: NaiveDate) -> anyhow::Result<u64> {
        let mut enqueued = 0;
        loop {
            let due = store::due(self.db.reader(), today, DUE_BATCH).await?;
            let mut moved = false;
            for schedule in &due {
                if let Some(count) = self.enqueue_due(schedule, today).await? {
                    enqueued += count;
                    moved = true;
                }
            }
            if !moved || (due.len() as i64) < DUE_BATCH {
                return Ok(enqueued);
            }
        }
    }

    /// `None` when another tick moved the schedule first.
    async fn enqueue_due(&self, schedule: &ScheduledTransfer, today: NaiveDate) -> anyhow::Result<Option<u64>> {
        let Some(first) = schedule.next_run_on else { return Ok(None) };
        let mut tx = self.db.begin().await?;
        let (mut next, mut deferred) = (Some(first), Vec::new());
        while let Some(on) = next.filter(|on| *on <= today && deferred.len() < CATCH_UP) {
            deferred.push(self.jobs.enqueue_in(&mut tx, &RunScheduledTransfer { schedule_id: schedule.id, on }).await?);
            next = schedule.after(on);
        }
        if !store::advance(&mut tx, schedule.id, first, next).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        let count = deferred.len() as u64;
        for job in deferred {
            job.after_commit(&self.jobs).await;
        }
        Ok(Some(count))
    }

    /// Runs one occurrence (again, if it ran before: the ledger answers the first result) and
    /// records its outcome.
    #[tracing::instrument(skip_all, fields(schedule = %job.schedule_id, on = %job.on))]
    pub async fn run(&self, job: RunScheduledTransfer) -> anyhow::Result<()> {
        let Some(schedule) = store::get(self.db.reader(), job.schedule_id).await? else { return Ok(()) };
        if store::ran(self.db.reader(), schedule.id, job.on).await? {
            return Ok(());
        }
        if schedule.status == ScheduleStatus::Cancelled {
            tracing::info!("scheduled transfer cancelled before its occurrence ran");
            return Ok(());
        }
        let outcome = self.transfer(&schedule, job.on).await?;
        let occurrence = occurrence(job.on, &outcome);
        let mut tx = self.db.begin().await?;
        let mut mail = None;
        if store::record_run(&mut tx, schedule.id, job.on, &occurrence).await? && occurrence.outcome == "refused" {
            mail = self.refusal_mail(&mut tx, &schedule, &occurrence).await?;
        }
        tx.commit().await?;
        if let Some(deferred) = mail {
            deferred.after_commit(&self.jobs).await;
        }
        Ok(())
    }

    /// The occurrence's transfer, with the checks of `POST /v1/transfers` (step-up was asked
    /// when the schedule was created).
    async fn transfer(&self, s: &ScheduledTransfer, on: NaiveDate) -> anyhow::Result<Outcome> {
        let number: AccountNumber = match s.to_account_number.parse() {
            Ok(number) => number,
            Err(e) => return Ok(refused("invalid-account-number", format!("to_account_number: {e}"))),
        };
        let Some(destination) = self.directory.by_number(&self.db, &number).await? else {
            return Ok(refused("account-not-found", format!("no account has the number {number}")));
        };
        let currency: Currency = s.currency.parse().map_err(anyhow::Error::msg)?;
        if destination.id == s.from_account_id {
            return Ok(refused("same-account", "an account cannot transfer to itself".into()));
        }
        if destination.currency != currency {
            return Ok(refused("currency-mismatch", format!("the destination holds {}", destination.currency)));
        }
        let command = Command {
            movement: Movement::Transfer,
            amount: Amount::new(s.amount).map_err(anyhow::Error::msg)?,
            currency,
            counter_account: destination.id,
            counter_number: Some(destination.number.to_string()),
            description: s.description.clone(),
            initiated_by: s.user_id,
            idempotency: Some(Idempotency {
                scope: format!("scheduled-transfer:{}:{on}", s.id),
                fingerprint: format!("{}:{}:{}", s.from_account_id, destination.id, s.amount),
            }),
            actor: Actor { user_id: Some(s.user_id), ..Actor::system() },
            reverses: None,
            hold: None,
        };
        Ok(self.ledger.commit_locked(s.from_account_id, command).await?)
    }

    async fn refusal_mail(
        &self,
        tx: &mut sqlx::AnyConnection,
        s: &ScheduledTransfer,
        occurrence: &Occurrence,
    ) -> anyhow::Result<Option<tresor_jobs::Deferred>> {
        let Some((to, full_name)) = crate::cards::store::owner_contact(&mut *tx, s.user_id).await? else {
            return Ok(None);
        };
        let currency: Currency = s.currency.parse().map_err(anyhow::Error::msg)?;
        let data = json!({
            "full_name": full_name,
            "amount": currency.display(s.amount),
            "to": s.to_account_number,
            "on": occurrence.on.to_string(),
            "reason": occurrence.detail.as_deref().or(occurrence.reason.as_deref()).unwrap_or("refused"),
        });
        let email = Email { to, template: Template::ScheduledTransferRefused, data };
        let (_, deferred) = mail::send(tx, &self.keys.encryption, &self.jobs, email).await?;
        Ok(Some(deferred))
    }
}

fn refused(slug: &str, detail: String) -> Outcome {
    let problem = crate::ledger::problems::unprocessable(slug, detail);
    Outcome { status: problem.status, body: serde_json::to_string(&problem).unwrap_or_default(), replayed: false }
}

/// What an occurrence's ledger answer means: the posted transaction, or the refusal.
fn occurrence(on: NaiveDate, outcome: &Outcome) -> Occurrence {
    let body: serde_json::Value = serde_json::from_str(&outcome.body).unwrap_or_default();
    let posted = outcome.status == 201;
    let slug = body["type"].as_str().map(|t| t.trim_start_matches("/problems/").to_owned());
    Occurrence {
        on,
        outcome: if posted { "posted" } else { "refused" }.into(),
        transaction_id: body["id"].as_str().filter(|_| posted).and_then(|id| id.parse::<Uuid>().ok()),
        reason: if posted { None } else { slug },
        detail: if posted { None } else { body["detail"].as_str().map(str::to_owned) },
        created_at: time::now(),
    }
}
