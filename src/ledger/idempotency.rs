//! The `Idempotency-Key` header and the fingerprint of the request it protects.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::command::Idempotency;
use crate::error::Problem;

pub const HEADER: &str = "idempotency-key";

/// Parses the header value: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: Option<&str>) -> Result<String, Problem> {
    let Some(raw) = raw else {
        return Err(Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "idempotency-key-required",
            "money-moving requests need an Idempotency-Key header (1 to 255 characters), e.g. a UUID",
        ));
    };
    let valid = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Problem::bad_request("the Idempotency-Key header must be 1 to 255 visible ASCII characters"))
    }
}

/// Scopes `key` to `user` and fingerprints the request: method, path and canonical body.
pub fn scoped(user: Uuid, key: &str, method: &str, path: &str, body: &impl serde::Serialize) -> Idempotency {
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(&canonical);
    Idempotency { scope: format!("{user}:{key}"), fingerprint: hex::encode(hasher.finalize()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_scoped_per_user() {
        assert!(parse_key(None).is_err());
        assert!(parse_key(Some("")).is_err());
        assert!(parse_key(Some(&"k".repeat(256))).is_err());
        assert!(parse_key(Some("has space")).is_err());
        assert_eq!(parse_key(Some("abc-123")).unwrap(), "abc-123");

        let (alice, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let body = serde_json::json!({"amount": 5});
        let a = scoped(alice, "k", "POST", "/x", &body);
        assert_ne!(a.scope, scoped(bob, "k", "POST", "/x", &body).scope);
        assert_eq!(a.fingerprint, scoped(alice, "k", "POST", "/x", &body).fingerprint);
        assert_ne!(a.fingerprint, scoped(alice, "k", "POST", "/y", &body).fingerprint);
        assert_ne!(a.fingerprint, scoped(alice, "k", "POST", "/x", &serde_json::json!({"amount": 6})).fingerprint);
    }
}
