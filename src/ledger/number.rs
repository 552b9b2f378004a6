//! Account numbers: 10 random digits and 2 check digits (ISO 7064 mod 97-10, as in IBAN), so
//! numbers reveal nothing about how many accounts exist and a mistyped digit is caught.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::crypto::random;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct AccountNumber(String);

const BODY_DIGITS: usize = 10;

fn mod97(digits: &str) -> u64 {
    digits.bytes().fold(0, |acc, b| (acc * 10 + u64::from(b - b'0')) % 97)
}

impl AccountNumber {
    /// A fresh random number (the caller retries on the rare collision).
    pub fn generate() -> Self {
        let raw = u64::from_le_bytes(random::bytes::<8>()) % 10_u64.pow(BODY_DIGITS as u32);
        let body = format!("{raw:0width$}", width = BODY_DIGITS);
        let check = 98 - mod97(&format!("{body}00"));
        Self(format!("{body}{check:02}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountNumber {
    type Err = &'static str;

    /// Accepts the 12 digits, with spaces or dashes for readability.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != BODY_DIGITS + 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("an account number has 12 digits");
        }
        if mod97(&digits) != 1 {
            return Err("the account number's check digits do not match: it was probably mistyped");
        }
        Ok(Self(digits))
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_validate_and_any_single_digit_typo_is_caught() {
        for _ in 0..200 {
            let number = AccountNumber::generate();
            assert_eq!(number.as_str().parse::<AccountNumber>().unwrap(), number);
            let digits: Vec<u8> = number.as_str().bytes().collect();
            for position in 0..digits.len() {
                let mut typo = digits.clone();
                typo[position] = if typo[position] == b'9' { b'0' } else { typo[position] + 1 };
                let typo = String::from_utf8(typo).unwrap();
                assert!(typo.parse::<AccountNumber>().is_err(), "{typo} must be refused");
            }
        }
    }

    #[test]
    fn malformed_numbers_are_refused_and_separators_allowed() {
        let number = AccountNumber::generate();
        let spaced = format!("{} {}", &number.as_str()[..6], &number.as_str()[6..]);
        assert_eq!(spaced.parse::<AccountNumber>().unwrap(), number);
        for bad in ["", "12345", "abcdefghijkl", "1234567890123"] {
            assert!(bad.parse::<AccountNumber>().is_err());
        }
    }
}
