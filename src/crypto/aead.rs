//! Sealing small values (personal data fields, TOTP secrets, wrapped data keys) with
//! XChaCha20-Poly1305 under the encryption ring.
//!
//! A sealed value is text, `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: the key id lets
//! old keys keep opening what they sealed after a rotation. The associated data names where the
//! value lives (table, column, row id), so a ciphertext copied into another row does not open.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::ExposeSecret;

use super::KeyRing;
use super::random;

const VERSION: &str = "v1";

/// Why a sealed value did not open. Deliberately vague: the caller logs it and answers 500;
/// nothing about the key or plaintext is revealed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value names key {0:?}, which is not in the ring")]
    UnknownKey(String),
    #[error("sealed value does not authenticate (wrong key, wrong place, or altered)")]
    Forged,
}

/// Where a sealed value lives; bound into its authentication tag.
pub fn associated_data(table: &str, column: &str, row_id: &str) -> String {
    format!("tresor/{table}/{column}/{row_id}")
}

pub fn seal(ring: &KeyRing, plaintext: &[u8], associated: &str) -> String {
    let (key_id, key) = ring.active();
    let cipher = XChaCha20Poly1305::new(key.expose_secret().into());
    let nonce_bytes = random::bytes::<24>();
    let nonce = XNonce::from_slice(&nonce_bytes);
    // Encryption only fails for plaintexts beyond the cipher's limit (~256 GiB).
    let ciphertext = cipher.encrypt(nonce, Payload { msg: plaintext, aad: associated.as_bytes() }).unwrap_or_default();
    let mut body = Vec::with_capacity(24 + ciphertext.len());
    body.extend_from_slice(&nonce_bytes);
    body.extend_from_slice(&ciphertext);
    format!("{VERSION}:{key_id}:{}", URL_SAFE_NO_PAD.encode(body))
}

pub fn open(ring: &KeyRing, sealed: &str, associated: &str) -> Result<Vec<u8>, OpenError> {
    let mut parts = sealed.splitn(3, ':');
    let (Some(VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(OpenError::Malformed);
    };
    let key = ring.get(key_id).ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
    let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| OpenError::Malformed)?;
    if body.len() < 24 + 16 {
        return Err(OpenError::Malformed);
    }
    let (nonce, ciphertext) = body.split_at(24);
    XChaCha20Poly1305::new(key.expose_secret().into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: associated.as_bytes() })
        .map_err(|_| OpenError::Forged)
}

/// The key id a sealed value was made with, for re-encryption after a rotation.
pub fn key_id(sealed: &str) -> Option<&str> {
    sealed.split(':').nth(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keys;

    #[test]
    fn sealed_values_open_only_in_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(dir.path(), true).unwrap();
        let ring = &keys.encryption;
        let here = associated_data("users", "ssn", "1");
        let sealed = seal(ring, b"123-45-6789", &here);
        assert!(!sealed.contains("123-45-6789"));
        assert_eq!(key_id(&sealed), Some(ring.active().0));
        assert_eq!(open(ring, &sealed, &here).unwrap(), b"123-45-6789");
        assert_ne!(sealed, seal(ring, b"123-45-6789", &here), "every seal uses a fresh nonce");

        let elsewhere = associated_data("users", "ssn", "2");
        assert!(matches!(open(ring, &sealed, &elsewhere), Err(OpenError::Forged)));
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(open(ring, &altered, &here).is_err());
        assert!(matches!(open(ring, "v1:nope:AAAA", &here), Err(OpenError::UnknownKey(_))));
        assert!(matches!(open(ring, "garbage", &here), Err(OpenError::Malformed)));
    }
}
