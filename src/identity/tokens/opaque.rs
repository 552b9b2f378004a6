//! Opaque secrets handed to clients (refresh tokens, email links, MFA login tokens): 256 random
//! bits, base64url. Only their SHA-256 is stored, so a database leak does not reveal them; the
//! lookup by hash needs no constant-time comparison because the hash of a guess tells nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::crypto::random;

/// A fresh token and the hash to store.
pub fn new_token() -> (SecretString, String) {
    let token = URL_SAFE_NO_PAD.encode(random::bytes::<32>());
    let hash = hash(&token);
    (SecretString::from(token), hash)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `raw` could be a token we issued (43 base64url characters), so junk is refused before
/// any lookup.
pub fn well_formed(raw: &str) -> bool {
    raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn hash_secret(token: &SecretString) -> String {
    hash(token.expose_secret())
}
