//! Endpoint secrets: `whsec_` + base64 of 32 random bytes, shown once, sealed at rest (bound
//! to their endpoint and column).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::crypto::{KeyRing, aead, random};

const PREFIX: &str = "whsec_";

/// A new secret, as shown to its creator.
pub fn generate() -> SecretString {
    SecretString::from(format!("{PREFIX}{}", STANDARD.encode(random::bytes::<32>())))
}

/// The key bytes a secret signs with (the base64 after the prefix).
pub fn key_of(secret: &SecretString) -> Option<Vec<u8>> {
    STANDARD.decode(secret.expose_secret().strip_prefix(PREFIX)?).ok()
}

pub fn seal(ring: &KeyRing, endpoint: Uuid, column: &str, secret: &SecretString) -> String {
    aead::seal(ring, secret.expose_secret().as_bytes(), &associated(endpoint, column))
}

pub fn open(ring: &KeyRing, endpoint: Uuid, column: &str, sealed: &str) -> anyhow::Result<SecretString> {
    let plain = aead::open(ring, sealed, &associated(endpoint, column))?;
    Ok(SecretString::from(String::from_utf8(plain)?))
}

/// Seals `sealed` (of `column`) again under the ring's active key (key rotation).
pub fn reseal(ring: &KeyRing, endpoint: Uuid, column: &str, sealed: &str) -> anyhow::Result<String> {
    let plain = aead::open(ring, sealed, &associated(endpoint, column))?;
    Ok(aead::seal(ring, &plain, &associated(endpoint, column)))
}

fn associated(endpoint: Uuid, column: &str) -> String {
    aead::associated_data("webhook_endpoints", column, &endpoint.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_32_bytes() {
        let secret = generate();
        assert!(secret.expose_secret().starts_with("whsec_"));
        assert_eq!(key_of(&secret).unwrap().len(), 32);
        assert!(key_of(&SecretString::from("whsec_!!!")).is_none());
    }
}
