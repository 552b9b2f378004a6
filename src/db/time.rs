//! Timestamps as stored: fixed-width RFC 3339 UTC text with microseconds, which sorts and
//! compares correctly as a string on both databases.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_db(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn from_db(raw: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(raw).map(|at| at.with_timezone(&Utc)).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Now, truncated to what the database keeps, so a value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_round_trip_and_sort_as_text() {
        let earlier = now();
        let later = earlier + chrono::Duration::microseconds(1);
        assert_eq!(from_db(&to_db(earlier)).unwrap(), earlier);
        assert!(to_db(earlier) < to_db(later));
        assert_eq!(to_db(earlier).len(), "2026-01-01T00:00:00.000000Z".len());
    }
}
