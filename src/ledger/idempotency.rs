//! Idempotency: a client's key scoped to the user, the fingerprint of the request it protects,
//! and what a repeated key gets back. One rule, used wherever a kept response is found — in the
//! committing transaction, and for a request refused before it reaches the account's actor.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::command::{Idempotency, Outcome};
use super::problems;
use crate::error::Problem;

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

/// A response kept under an idempotency key.
#[derive(Clone, Debug)]
pub struct Saved {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

impl Saved {
    /// What a request with `key` gets: the kept response again when it is the same request;
    /// 422 `idempotency-key-reused` when the key was used for another one.
    pub fn answer(&self, key: &Idempotency) -> Result<Outcome, Problem> {
        if self.fingerprint == key.fingerprint {
            Ok(Outcome { status: self.status, body: self.body.clone(), replayed: true })
        } else {
            Err(key_reused())
        }
    }
}

pub fn key_reused() -> Problem {
    problems::unprocessable(
        "idempotency-key-reused",
        "this Idempotency-Key was already used with a different request; use a new key for a new request".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_per_user() {
        let (alice, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let body = serde_json::json!({"amount": 5});
        let a = scoped(alice, "k", "POST", "/x", &body);
        assert_ne!(a.scope, scoped(bob, "k", "POST", "/x", &body).scope);
        assert_eq!(a.fingerprint, scoped(alice, "k", "POST", "/x", &body).fingerprint);
        assert_ne!(a.fingerprint, scoped(alice, "k", "POST", "/y", &body).fingerprint);
        assert_ne!(a.fingerprint, scoped(alice, "k", "POST", "/x", &serde_json::json!({"amount": 6})).fingerprint);
    }
}
