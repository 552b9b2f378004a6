//! `?from=&to=` on a transaction history: a time range, parsed at the edge.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use crate::error::{FieldErrors, Problem};

/// `?from=&to=`: transactions at or after `from` and before `until` (either open).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Range {
    /// Each bound is an RFC 3339 time or a date (`2026-12-04`): `from` a date starts at its
    /// midnight UTC, `to` a date takes in that whole day; `to` a time is inclusive.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, Problem> {
        let mut errors = FieldErrors::new();
        let mut bound = |field: &str, raw: Option<&str>, end: bool| {
            let raw = raw?;
            let parsed = parse_bound(raw.trim(), end);
            if parsed.is_none() {
                errors.insert(field.into(), vec!["must be an RFC 3339 time or a date (YYYY-MM-DD)".into()]);
            }
            parsed
        };
        let range = Self { from: bound("from", from, false), until: bound("to", to, true) };
        if let (Some(from), Some(until)) = (range.from, range.until)
            && from >= until
        {
            errors.insert("to".into(), vec!["must be after from".into()]);
        }
        if errors.is_empty() { Ok(range) } else { Err(Problem::invalid_fields(errors)) }
    }
}

fn parse_bound(raw: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        let at = at.with_timezone(&Utc);
        // `to` is inclusive: the bound is exclusive one microsecond (what is stored) later.
        return Some(if end { at + chrono::Duration::microseconds(1) } else { at });
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let day = if end { date.checked_add_days(Days::new(1))? } else { date };
    Some(day.and_time(NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use super::Range;

    #[test]
    fn ranges_take_times_and_whole_days_and_name_bad_bounds() {
        let range = Range::parse(Some("2026-12-01"), Some("2026-12-01")).unwrap();
        assert_eq!(range.from.unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(range.until.unwrap().to_rfc3339(), "2026-12-02T00:00:00+00:00");
        let times = Range::parse(Some("2026-12-01T10:00:00Z"), None).unwrap();
        assert!(times.until.is_none());
        let bad = Range::parse(Some("yesterday"), Some("2026-12-01")).unwrap_err();
        assert!(bad.errors.contains_key("from"));
        let backwards = Range::parse(Some("2026-12-02"), Some("2026-12-01")).unwrap_err();
        assert!(backwards.errors.contains_key("to"));
    }
}
