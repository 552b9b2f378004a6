//! Date of birth and US Social Security number: personal data, sealed at rest.

use chrono::{Datelike, NaiveDate, Utc};

/// A date of birth of an adult (18 or older) who could be alive (at most 130 years ago).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let date =
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "must be a date as YYYY-MM-DD".to_owned())?;
        let today = Utc::now().date_naive();
        if date > today {
            return Err("must not be in the future".to_owned());
        }
        let mut age = today.year() - date.year();
        if (today.month(), today.day()) < (date.month(), date.day()) {
            age -= 1;
        }
        if age < 18 {
            return Err("you must be at least 18 years old".to_owned());
        }
        if age > 130 {
            return Err("must be a plausible date of birth".to_owned());
        }
        Ok(Self(date))
    }

    pub fn to_text(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

/// A US Social Security number, `AAA-GG-SSSS`, with the ranges the SSA never issues refused
/// (area 000, 666, 900-999; group 00; serial 0000).
#[derive(Clone, PartialEq, Eq)]
pub struct Ssn(String);

impl std::fmt::Debug for Ssn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ssn(***)")
    }
}

impl Ssn {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let digits: String = raw.chars().filter(|c| *c != '-').collect();
        let shaped = raw.len() == 9 || (raw.len() == 11 && raw.as_bytes()[3] == b'-' && raw.as_bytes()[6] == b'-');
        if !shaped || digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be a US Social Security number: AAA-GG-SSSS or 9 digits".to_owned());
        }
        let (area, group, serial) = (&digits[0..3], &digits[3..5], &digits[5..9]);
        if area == "000" || area == "666" || area.starts_with('9') || group == "00" || serial == "0000" {
            return Err("is not a number the Social Security Administration issues".to_owned());
        }
        Ok(Self(format!("{area}-{group}-{serial}")))
    }

    /// `AAA-GG-SSSS`: what is sealed and what the blind index is computed over.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        &self.0[7..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_birth_must_be_adult_and_plausible() {
        assert_eq!(DateOfBirth::parse("1990-02-28").unwrap().to_text(), "1990-02-28");
        let today = Utc::now().date_naive();
        let seventeen = today.with_year(today.year() - 17).unwrap_or(today);
        assert!(DateOfBirth::parse(&seventeen.to_string()).unwrap_err().contains("18"));
        for bad in ["1990-13-01", "28/02/1990", "1850-01-01", "2999-01-01", ""] {
            assert!(DateOfBirth::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ssns_are_shaped_and_in_issued_ranges() {
        assert_eq!(Ssn::parse("123456789").unwrap().canonical(), "123-45-6789");
        assert_eq!(Ssn::parse("123-45-6789").unwrap().last4(), "6789");
        for bad in
            ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "12-345-6789", "1234567890"]
        {
            assert!(Ssn::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!format!("{:?}", Ssn::parse("123-45-6789").unwrap()).contains("6789"));
    }
}
