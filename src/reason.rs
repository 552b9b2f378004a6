//! Free text staff write about what they do — a reason, a note — parsed at the edge: trimmed,
//! required, bounded, and free of control characters (it is shown in consoles and mail).

use crate::error::{FieldErrors, Problem};

/// Most characters of a reason or a decision note.
pub const REASON_MAX: usize = 500;
/// Most characters of a case note.
pub const NOTE_MAX: usize = 2000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// `raw` trimmed, 1 to `max` characters; the problem names `field`.
    pub fn parse(field: &str, raw: Option<&str>, max: usize) -> Result<Self, Problem> {
        let text = raw.map(str::trim).unwrap_or_default();
        let refuse = |message: String| {
            let mut errors = FieldErrors::new();
            errors.insert(field.to_owned(), vec![message]);
            Problem::invalid_fields(errors)
        };
        if text.is_empty() {
            return Err(refuse("is required".into()));
        }
        if text.chars().count() > max {
            return Err(refuse(format!("must be at most {max} characters")));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(refuse("must not contain control characters".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{REASON_MAX, Reason};

    #[test]
    fn reasons_are_required_bounded_and_named() {
        assert_eq!(Reason::parse("reason", Some("  fraud  "), REASON_MAX).unwrap().as_str(), "fraud");
        for bad in [None, Some("   "), Some("a\u{7}b")] {
            assert!(Reason::parse("reason", bad, REASON_MAX).unwrap_err().errors.contains_key("reason"));
        }
        let long = "x".repeat(REASON_MAX + 1);
        assert!(Reason::parse("note", Some(&long), REASON_MAX).unwrap_err().errors.contains_key("note"));
    }
}
