//! What a new password must be: long enough (12 by default; up to at least 128 accepted), not
//! one of the most common passwords (a list of 19,646 shipped in the binary), not containing the
//! user's email or name, and hard enough to guess by zxcvbn's estimate (score 3 of 4 by default).

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::config::PasswordSettings;

/// The common-password list Django ships (`common-passwords.txt.gz`, from a 2017 analysis of
/// leaked credentials by Royce Williams), one lower-case password per line.
const COMMON: &str = include_str!("common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
}

/// How many passwords the shipped list holds.
pub fn common_list_len() -> usize {
    common().len()
}

/// zxcvbn's work grows quickly with length; a password this long is judged on its first part
/// (repetition in it is still caught there).
const ESTIMATE_PREFIX: usize = 64;

#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    min_length: usize,
    max_length: usize,
    min_strength: u8,
}

impl PasswordPolicy {
    pub fn new(settings: &PasswordSettings) -> anyhow::Result<Self> {
        if settings.min_length < 8 || settings.max_length < 128 || settings.min_length > settings.max_length {
            anyhow::bail!("passwords: min_length must be at least 8 and max_length at least 128");
        }
        if settings.min_strength > 4 {
            anyhow::bail!("passwords.min_strength is a zxcvbn score: 0..=4");
        }
        Ok(Self {
            min_length: settings.min_length,
            max_length: settings.max_length,
            min_strength: settings.min_strength,
        })
    }

    /// Every reason `password` is refused, in words for the user; empty when it is accepted.
    /// `personal` holds what the password must not contain: the email, the name.
    pub fn problems(&self, password: &str, personal: &[&str]) -> Vec<String> {
        let length = password.chars().count();
        if length < self.min_length {
            return vec![format!("must be at least {} characters long", self.min_length)];
        }
        if length > self.max_length {
            return vec![format!("must be at most {} characters long", self.max_length)];
        }
        let lowered = password.to_lowercase();
        if common().contains(lowered.trim()) {
            return vec!["is one of the most commonly used passwords; choose another".to_owned()];
        }
        let fragments = personal_fragments(personal);
        if fragments.iter().any(|fragment| lowered.contains(fragment.as_str())) {
            return vec!["must not contain your email address or name".to_owned()];
        }
        let prefix: String = password.chars().take(ESTIMATE_PREFIX).collect();
        let inputs: Vec<&str> = fragments.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(&prefix, &inputs);
        let score = u8::from(estimate.score());
        if score < self.min_strength {
            let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
            return vec![format!("is too easy to guess{hint}; use a longer passphrase or more varied characters")];
        }
        Vec::new()
    }
}

/// The email and its local part, the name, and each word of 4 or more characters in the local
/// part or the name, lower-cased.
fn personal_fragments(personal: &[&str]) -> Vec<String> {
    let mut fragments = Vec::new();
    for value in personal {
        let value = value.trim().to_lowercase();
        let wordy = match value.split_once('@') {
            Some((local, _)) => local.to_owned(),
            None => value.clone(),
        };
        fragments
            .extend(wordy.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 4).map(str::to_owned));
        fragments.push(wordy);
        fragments.push(value);
    }
    fragments.retain(|f| f.chars().count() >= 3);
    fragments.sort();
    fragments.dedup();
    fragments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy { min_length: 12, max_length: 128, min_strength: 3 }
    }

    #[test]
    fn the_shipped_list_holds_at_least_ten_thousand_passwords() {
        assert!(common_list_len() >= 10_000, "{}", common_list_len());
    }

    #[test]
    fn good_passphrases_pass_and_each_rule_refuses_with_a_reason() {
        let p = policy();
        assert!(p.problems("correct horse battery staple 42", &["ada@example.com", "Ada Lovelace"]).is_empty());
        assert!(
            p.problems(&"correct horse battery staple 42 ".repeat(4), &[]).is_empty(),
            "128 characters are accepted"
        );
        let refused = |pw: &str| p.problems(pw, &["ada@example.com", "Ada Lovelace"]).join(" ");
        assert!(refused("short1!").contains("at least 12"));
        assert!(refused(&"x".repeat(129)).contains("at most 128"));
        assert!(refused("q1w2e3r4t5y6").contains("commonly used"), "{}", refused("q1w2e3r4t5y6"));
        assert!(refused("QWERTYUIOPASDFGH").contains("commonly used") || refused("QWERTYUIOPASDFGH").contains("guess"));
        assert!(refused("my lovelace secret 9!").contains("email address or name"));
        assert!(refused("ada@example.com!!").contains("email address or name"));
        assert!(refused("aaaaaaaaaaaaaaaa").contains("guess"));
        assert!(refused("abcdefghijklmnop").contains("guess"));
    }
}
