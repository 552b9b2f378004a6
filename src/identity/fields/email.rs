//! An email address as used to sign in and to send mail to.
//!
//! Two spellings of one mailbox are one account, and an address that only looks like another is
//! refused rather than made a second account:
//! - the whole address is NFKC-normalised (full-width `ａｄａ` is `ada`) and lower-cased;
//! - the domain is converted to its ASCII form by IDNA (UTS 46, strict), so `bücher.example`
//!   and `xn--bcher-kva.example` are one domain;
//! - the local part and each domain label must be written in one script (`аda` with a Cyrillic
//!   `а` mixes Cyrillic and Latin), and may not be a non-ASCII look-alike of an ASCII string
//!   (UTS 39 skeleton: all-Cyrillic `асе` looks like `ace`);
//! - the mailer must be able to send to it (`"a b"@example.com` is valid RFC 5322 but not
//!   something it can address).

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;
use unicode_security::confusable_detection::skeleton;

/// An email address, normalised as the module says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

const INVALID: &str = "must be a valid email address, e.g. ada@example.com";

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        let invalid = || INVALID.to_owned();
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || domain.is_empty() || domain.starts_with('[') || domain.ends_with('.') {
            return Err(invalid());
        }
        look_alike_free(local)?;
        for label in domain.split('.') {
            look_alike_free(label)?;
        }
        let ascii_domain = idna::domain_to_ascii_strict(domain).map_err(|_| invalid())?;
        // A routable domain: labels with a dot between them.
        if !ascii_domain.contains('.') {
            return Err(invalid());
        }
        let value = format!("{local}@{ascii_domain}");
        if value.len() > 254 || !email_address::EmailAddress::is_valid(&value) {
            return Err(invalid());
        }
        if !tresor_jobs::email::deliverable(&value) {
            return Err("is not an address mail can be sent to (quoted or unusual local part)".to_owned());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuses a part written in several scripts, or a non-ASCII part that looks like ASCII.
fn look_alike_free(part: &str) -> Result<(), String> {
    if part.is_ascii() {
        return Ok(());
    }
    if !part.is_single_script() {
        return Err("must not mix characters of different scripts (look-alike letters)".to_owned());
    }
    if skeleton(part).all(|c| c.is_ascii()) {
        return Err("must not use letters that only look like plain ASCII letters".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_junk_refused() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada@[127.0.0.1]", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn full_width_and_unicode_domains_are_one_spelling() {
        assert_eq!(Email::parse("ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ").unwrap().as_str(), "ada@example.com");
        assert_eq!(Email::parse("ada@Bücher.example").unwrap().as_str(), "ada@xn--bcher-kva.example");
        assert_eq!(Email::parse("ada@xn--bcher-kva.example").unwrap().as_str(), "ada@xn--bcher-kva.example");
    }

    #[test]
    fn look_alikes_and_unsendable_addresses_are_refused() {
        for bad in [
            "\u{430}da@example.com",             // Cyrillic а among Latin letters
            "\u{430}\u{441}\u{435}@example.com", // all-Cyrillic "асе", looks like "ace"
            "ada@\u{435}xample.com",             // Cyrillic е in the domain
            "\"a b\"@example.com",               // valid RFC 5322, but the mailer cannot address it
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse("\u{438}\u{432}\u{430}\u{43d}@example.com").is_ok(), "a Cyrillic name is fine");
    }
}
