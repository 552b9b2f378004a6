//! A scheduled transfer as clients see it, and the calendar of its occurrences: weekly on the
//! start date's weekday, monthly on the start date's day — or the month's last day when the
//! month is shorter (the 31st runs on February's 28th or 29th).

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Once,
    Weekly,
    Monthly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, sqlx::Error> {
        match raw {
            "once" => Ok(Self::Once),
            "weekly" => Ok(Self::Weekly),
            "monthly" => Ok(Self::Monthly),
            other => Err(sqlx::Error::Decode(format!("unknown frequency {other:?}").into())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    /// Occurrences are still to come.
    Active,
    /// Every occurrence has been handed to the job queue (the last one may still be running).
    Completed,
    /// Cancelled by its owner: no further occurrence runs.
    Cancelled,
}

impl ScheduleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, sqlx::Error> {
        match raw {
            "active" => Ok(Self::Active),
            "completed" => Ok(Self::Completed),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(sqlx::Error::Decode(format!("unknown schedule status {other:?}").into())),
        }
    }
}

/// What became of one occurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Occurrence {
    /// The day it was due.
    pub on: NaiveDate,
    /// `posted` or `refused`.
    pub outcome: String,
    /// The posted transaction.
    pub transaction_id: Option<Uuid>,
    /// A refusal's problem slug (`insufficient-funds`, `limit-exceeded`, `account-frozen`, ...).
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduledTransfer {
    pub id: Uuid,
    pub from_account_id: Uuid,
    pub to_account_number: String,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub frequency: Frequency,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// The next day an occurrence is due; none once every occurrence has run or it is cancelled.
    pub next_run_on: Option<NaiveDate>,
    pub status: ScheduleStatus,
    pub created_at: DateTime<Utc>,
    /// Each occurrence that ran, newest first.
    pub occurrences: Vec<Occurrence>,
    #[serde(skip)]
    pub user_id: Uuid,
}

impl ScheduledTransfer {
    /// The occurrence after the one due `on`, if the schedule has one.
    pub fn after(&self, on: NaiveDate) -> Option<NaiveDate> {
        next_after(self.frequency, self.start_date, on).filter(|next| self.end_date.is_none_or(|end| *next <= end))
    }
}

/// The occurrence after `on` of a schedule starting `start`: a week on, or the start's day of
/// the next month (its last day when the month is shorter).
pub fn next_after(frequency: Frequency, start: NaiveDate, on: NaiveDate) -> Option<NaiveDate> {
    match frequency {
        Frequency::Once => None,
        Frequency::Weekly => on.checked_add_days(chrono::Days::new(7)),
        Frequency::Monthly => {
            let first = NaiveDate::from_ymd_opt(on.year(), on.month(), 1)?.checked_add_months(Months::new(1))?;
            Some(day_in_month(first, start.day()))
        }
    }
}

/// `day` of the month of `first` (its first day), or the month's last day.
fn day_in_month(first: NaiveDate, day: u32) -> NaiveDate {
    let mut day = day.clamp(1, 31);
    loop {
        match first.with_day(day) {
            Some(date) => return date,
            None if day > 28 => day -= 1,
            None => return first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_31st_runs_on_the_last_day_of_shorter_months_and_back_on_the_31st() {
        let start = date("2027-01-31");
        let mut on = start;
        let mut seen = Vec::new();
        for _ in 0..4 {
            on = next_after(Frequency::Monthly, start, on).unwrap();
            seen.push(on.to_string());
        }
        assert_eq!(seen, ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]);
        assert_eq!(next_after(Frequency::Monthly, date("2028-01-31"), date("2028-01-31")), Some(date("2028-02-29")));
        assert_eq!(next_after(Frequency::Monthly, date("2027-01-30"), date("2027-01-30")), Some(date("2027-02-28")));
        assert_eq!(next_after(Frequency::Monthly, date("2027-01-15"), date("2027-12-15")), Some(date("2028-01-15")));
    }

    #[test]
    fn weekly_is_seven_days_and_once_has_no_next() {
        assert_eq!(next_after(Frequency::Weekly, date("2027-02-25"), date("2027-02-25")), Some(date("2027-03-04")));
        assert_eq!(next_after(Frequency::Once, date("2027-02-25"), date("2027-02-25")), None);
    }
}
