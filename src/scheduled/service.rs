//! `ScheduledTransfers`: customers create, read and cancel their schedules. Creation checks
//! the transfer as `POST /v1/transfers` would (and asks for step-up above the threshold); the
//! occurrences themselves are run by the job queue (`runner`).

use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::model::{Frequency, ScheduleStatus, ScheduledTransfer};
use super::store;
use crate::audit::{self, Event};
use crate::db::{Db, time};
use crate::error::{Error, Problem};
use crate::ledger::money::Amount;
use crate::ledger::service::{Caller, Ledger};

pub struct ScheduledTransfers {
    db: Db,
    ledger: Arc<Ledger>,
}

/// A schedule to create, its input already parsed.
pub struct NewSchedule {
    pub from_account_id: Uuid,
    pub to_account_number: String,
    pub amount: Amount,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub frequency: Frequency,
    pub end_date: Option<NaiveDate>,
}

impl ScheduledTransfers {
    pub fn new(db: Db, ledger: Arc<Ledger>) -> Self {
        Self { db, ledger }
    }

    pub async fn create(&self, caller: &Caller, new: NewSchedule) -> Result<ScheduledTransfer, Error> {
        let today = time::now().date_naive();
        if new.start_date < today {
            return Err(invalid("start_date", format!("start_date must be today ({today}) or later")));
        }
        if new.end_date.is_some_and(|end| end < new.start_date) {
            return Err(invalid("end_date", "end_date must not be before start_date".into()));
        }
        let currency =
            self.ledger.vet_transfer(caller, new.from_account_id, &new.to_account_number, new.amount).await?;
        let schedule = ScheduledTransfer {
            id: Uuid::now_v7(),
            user_id: caller.user_id,
            from_account_id: new.from_account_id,
            to_account_number: new.to_account_number.chars().filter(char::is_ascii_digit).collect(),
            amount: new.amount.minor_units(),
            currency: currency.code().to_owned(),
            description: new.description,
            frequency: new.frequency,
            start_date: new.start_date,
            end_date: new.end_date,
            next_run_on: Some(new.start_date),
            status: ScheduleStatus::Active,
            created_at: time::now(),
            occurrences: Vec::new(),
        };
        let mut tx = self.db.begin().await?;
        store::insert(&mut tx, &schedule).await?;
        audit::record(&mut tx, &caller.actor, event("scheduled_transfer.created", &schedule)).await?;
        tx.commit().await?;
        Ok(schedule)
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<ScheduledTransfer>, Error> {
        Ok(store::list_owned(self.db.reader(), caller.user_id).await?)
    }

    /// The caller's schedule, or 404 — also when it is someone else's.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<ScheduledTransfer, Error> {
        match store::get(self.db.reader(), id).await? {
            Some(schedule) if schedule.user_id == caller.user_id => Ok(schedule),
            _ => Err(Problem::not_found("scheduled transfer").into()),
        }
    }

    /// Cancels the caller's schedule: no occurrence runs after this (one already running
    /// finishes). Cancelling a cancelled schedule changes nothing.
    pub async fn cancel(&self, caller: &Caller, id: Uuid) -> Result<(), Error> {
        let schedule = self.get(caller, id).await?;
        let mut tx = self.db.begin().await?;
        if store::cancel(&mut tx, id, caller.user_id).await? {
            audit::record(&mut tx, &caller.actor, event("scheduled_transfer.cancelled", &schedule)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn invalid(field: &str, message: String) -> Error {
    let mut problem = Problem::bad_request(message.clone());
    problem.errors.insert(field.to_owned(), vec![message]);
    problem.into()
}

fn event(action: &'static str, s: &ScheduledTransfer) -> Event {
    Event {
        action,
        target_type: "scheduled_transfer",
        target_id: Some(s.id.to_string()),
        old: None,
        new: Some(serde_json::json!({
            "from_account_id": s.from_account_id,
            "amount": s.amount,
            "currency": s.currency,
            "frequency": s.frequency.as_str(),
            "start_date": s.start_date,
            "end_date": s.end_date,
        })),
    }
}
