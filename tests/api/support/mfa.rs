//! An independent TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, dynamic truncation) and the
//! TestApp helpers for MFA.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use crate::support::TestApp;
use crate::support::identity::SignedIn;

/// RFC 4648 base32 (no padding), as the setup answer's `secret` is written.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase()).expect("base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// HOTP(K, C) truncated to `digits` (RFC 4226 section 5.3).
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:0width$}", binary % 10_u32.pow(digits), width = digits as usize)
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A user's authenticator: the secret, and the last time step it gave a code for, so each
/// code handed out belongs to a later step (the server refuses a step used before).
pub struct Authenticator {
    pub key: Vec<u8>,
    last_step: Option<u64>,
}

impl Authenticator {
    pub fn new(secret_base32: &str) -> Self {
        Self { key: base32_decode(secret_base32), last_step: None }
    }

    /// A fresh code the server accepts now: the earliest step within its ±1 window not used yet,
    /// waiting for the next step when all three are used.
    pub async fn code(&mut self) -> String {
        loop {
            let unix = unix_now();
            let now = unix / 30;
            // A step's code is accepted until the end of the step after it, so the previous
            // step's code is handed out only while at least 10 s of this step remain: a loaded
            // machine may take seconds to get the request to the server.
            let earliest = if unix % 30 < 20 { now - 1 } else { now };
            let step = match self.last_step {
                Some(last) if last > now => None,
                Some(last) => Some((last + 1).max(earliest)),
                None => Some(earliest),
            };
            if let Some(step) = step {
                self.last_step = Some(step);
                return hotp(&self.key, step, 6);
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// A user with MFA on.
pub struct MfaUser {
    pub signed: SignedIn,
    pub authenticator: Authenticator,
    pub backup_codes: Vec<String>,
}

impl TestApp {
    pub async fn mfa_setup(&self, token: &str) -> Value {
        let response = self.post_authed("/v1/mfa/totp/setup", token, &json!({})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        response.json().await.unwrap()
    }

    /// Sets up and enables TOTP for a signed-in user.
    pub async fn enable_mfa(&self, signed: SignedIn) -> MfaUser {
        let setup = self.mfa_setup(&signed.access).await;
        let mut authenticator = Authenticator::new(setup["secret"].as_str().unwrap());
        let code = authenticator.code().await;
        let response = self.post_authed("/v1/mfa/totp/enable", &signed.access, &json!({ "code": code })).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let body: Value = response.json().await.unwrap();
        let backup_codes =
            body["backup_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        MfaUser { signed, authenticator, backup_codes }
    }

    /// Password step of a sign-in with MFA on: the `mfa_token`.
    pub async fn mfa_token(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["mfa_required"], true, "{body}");
        assert!(body.get("access_token").is_none(), "no tokens before the second factor");
        body["mfa_token"].as_str().unwrap().to_owned()
    }

    pub async fn auth_mfa(&self, body: &Value) -> reqwest::Response {
        self.post_json("/v1/auth/mfa", body).await
    }

    /// Signs in with password and a fresh TOTP code; the new access token.
    pub async fn sign_in_with_mfa(&self, user: &mut MfaUser) -> String {
        let token = self.mfa_token(&user.signed.user.email, &user.signed.user.password).await;
        let code = user.authenticator.code().await;
        let response = self.auth_mfa(&json!({"mfa_token": token, "code": code})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// The claims of an access token (not verified: the server did that).
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn the_independent_totp_gives_the_rfc_6238_sha1_vectors() {
    let key = b"12345678901234567890";
    let vectors = [
        (59_u64, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    for (time, expected) in vectors {
        assert_eq!(hotp(key, time / 30, 8), expected, "T = {time}");
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
}
