//! Phone number, full name.

/// A phone number in E.164 form: `+`, country code, number; 8 to 16 characters in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        let digits = value.strip_prefix('+').unwrap_or("");
        let valid =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if valid { Ok(Self(value.to_owned())) } else { Err("must be in E.164 form, e.g. +14155550123".to_owned()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's full name: 1 to 200 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if value.chars().count() > 200 {
            return Err("must be at most 200 characters".to_owned());
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_must_be_e164() {
        assert!(Phone::parse("+14155550123").is_ok());
        for bad in ["14155550123", "+0123456789", "+1 415 555 0123", "+12", "+1234567890123456", "+1415555012a"] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(FullName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert!(FullName::parse("   ").is_err());
        assert!(FullName::parse(&"x".repeat(201)).is_err());
        assert!(FullName::parse("Ada\u{0}").is_err());
    }
}
