//! A statement as its owner sees it, and the month it covers.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The month, `YYYY-MM`.
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    pub opening_balance: i64,
    pub closing_balance: i64,
    /// How many postings it lists.
    pub postings: i64,
    /// Built before the month ended: it covers the month up to `created_at`.
    pub partial: bool,
    pub created_at: DateTime<Utc>,
}

/// A calendar month (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period(NaiveDate);

impl Period {
    pub fn of(at: DateTime<Utc>) -> Self {
        Self(at.date_naive().with_day(1).unwrap_or(at.date_naive()))
    }

    /// The month before this one.
    pub fn previous(self) -> Self {
        Self(self.0.checked_sub_months(Months::new(1)).unwrap_or(self.0))
    }

    /// Its first instant.
    pub fn start(self) -> DateTime<Utc> {
        self.0.and_time(NaiveTime::MIN).and_utc()
    }

    /// The first instant of the next month.
    pub fn end(self) -> DateTime<Utc> {
        self.0.checked_add_months(Months::new(1)).unwrap_or(self.0).and_time(NaiveTime::MIN).and_utc()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m"))
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d")
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a month (YYYY-MM)"))
    }
}

impl TryFrom<String> for Period {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse()
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

/// `pdf` or `csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatementFormat {
    Pdf,
    Csv,
}

impl StatementFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_print_and_bound_their_month() {
        let period: Period = "2028-02".parse().unwrap();
        assert_eq!(period.to_string(), "2028-02");
        assert_eq!(period.start().to_rfc3339(), "2028-02-01T00:00:00+00:00");
        assert_eq!(period.end().to_rfc3339(), "2028-03-01T00:00:00+00:00");
        assert_eq!(period.previous().to_string(), "2028-01");
        assert_eq!("2028-01".parse::<Period>().unwrap().previous().to_string(), "2027-12");
        assert!("2028-13".parse::<Period>().is_err());
        assert!("yesterday".parse::<Period>().is_err());
    }
}
