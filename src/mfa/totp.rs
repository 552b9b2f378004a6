//! TOTP (RFC 6238) as authenticator apps do it: HMAC-SHA-1, 6 digits, 30-second steps, and one
//! step of clock drift either way. The algorithm is totp-rs's; this module only picks the
//! parameters and tells *which* step a code belongs to, so a code can be refused once used.

use secrecy::{ExposeSecret, SecretBox};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::crypto::random;

pub const DIGITS: usize = 6;
pub const STEP_SECS: u64 = 30;
/// Steps of drift accepted either side of now.
pub const SKEW: u64 = 1;
/// 160 bits, the RFC 4226 recommendation.
pub const SECRET_BYTES: usize = 20;

pub type TotpSecret = SecretBox<Vec<u8>>;

pub fn new_secret() -> TotpSecret {
    SecretBox::new(Box::new(random::bytes::<SECRET_BYTES>().to_vec()))
}

fn totp(secret: &TotpSecret, digits: usize, issuer: Option<&str>, account: &str) -> anyhow::Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        digits,
        u8::try_from(SKEW).unwrap_or(1),
        STEP_SECS,
        secret.expose_secret().clone(),
        issuer.map(str::to_owned),
        account.to_owned(),
    )
    .map_err(|e| anyhow::anyhow!("building the TOTP: {e:?}"))
}

/// The code of time step `step` (RFC 6238: the counter is unix time / 30).
pub fn code_at(secret: &TotpSecret, step: u64, digits: usize) -> anyhow::Result<String> {
    Ok(totp(secret, digits, None, "")?.generate(step.saturating_mul(STEP_SECS)))
}

/// What an authenticator app needs to add the account.
pub struct Provisioning {
    /// Base32 (RFC 4648, no padding), for typing in by hand.
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub qr_png_base64: String,
}

pub fn provisioning(secret: &TotpSecret, issuer: &str, account: &str) -> anyhow::Result<Provisioning> {
    // The otpauth label is `issuer:account`: neither may hold a colon of its own.
    let account = account.replace(':', "");
    let totp = totp(secret, DIGITS, Some(issuer), &account)?;
    let qr_png_base64 = totp.get_qr_base64().map_err(|e| anyhow::anyhow!("drawing the QR code: {e}"))?;
    Ok(Provisioning { secret_base32: totp.get_secret_base32(), otpauth_uri: totp.get_url(), qr_png_base64 })
}

/// Whether `code` is six ASCII digits (spaces allowed, as apps show `123 456`); the digits.
pub fn normalize(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The earliest step within the drift window around `now_unix` that is after `after` and
/// whose code is `code`. Compared in constant time.
pub fn matching_step(
    secret: &TotpSecret,
    code: &str,
    now_unix: u64,
    after: Option<u64>,
) -> anyhow::Result<Option<u64>> {
    let current = now_unix / STEP_SECS;
    let totp = totp(secret, DIGITS, None, "")?;
    for step in current.saturating_sub(SKEW)..=current.saturating_add(SKEW) {
        if after.is_some_and(|last| step <= last) {
            continue;
        }
        let expected = totp.generate(step * STEP_SECS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        SecretBox::new(Box::new(b"12345678901234567890".to_vec()))
    }

    /// RFC 6238 appendix B, SHA-1 column (8 digits), and the 6 digits authenticator apps show.
    #[test]
    fn rfc_6238_test_vectors() {
        let vectors = [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let secret = rfc_secret();
        for (time, expected) in vectors {
            assert_eq!(code_at(&secret, time / STEP_SECS, 8).unwrap(), expected, "T = {time}");
            assert_eq!(code_at(&secret, time / STEP_SECS, DIGITS).unwrap(), &expected[2..], "T = {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only_once_each() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let step = now / STEP_SECS;
        let code = code_at(&secret, step, DIGITS).unwrap();
        assert_eq!(matching_step(&secret, &code, now, None).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now + STEP_SECS, None).unwrap(), Some(step), "one step late");
        assert_eq!(matching_step(&secret, &code, now + 2 * STEP_SECS, None).unwrap(), None, "two steps late");
        assert_eq!(matching_step(&secret, &code, now, Some(step)).unwrap(), None, "already used");
    }

    #[test]
    fn provisioning_names_issuer_and_account() {
        let secret = new_secret();
        let p = provisioning(&secret, "tresor", "ada@example.com").unwrap();
        assert!(p.otpauth_uri.starts_with("otpauth://totp/tresor:ada%40example.com?"), "{}", p.otpauth_uri);
        assert!(p.otpauth_uri.contains("issuer=tresor"));
        assert!(p.otpauth_uri.contains(&format!("secret={}", p.secret_base32)));
        assert_eq!(p.secret_base32.len(), 32);
        assert!(!p.qr_png_base64.is_empty());
        assert_eq!(normalize(" 123 456 "), Some("123456".into()));
        assert_eq!(normalize("12345"), None);
        assert_eq!(normalize("12345a"), None);
    }
}
