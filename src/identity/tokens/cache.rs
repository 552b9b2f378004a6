//! Verified access tokens, kept until they expire: an Ed25519 verification costs ~33 µs, a hash
//! lookup well under one. Keyed by the SHA-256 of the token, so the cache never holds a token.
//! Only the signature check is saved: whether the session is still alive is asked every time.

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use super::jwt::Claims;

pub struct VerifiedTokens {
    entries: DashMap<[u8; 32], Claims>,
    capacity: usize,
}

impl VerifiedTokens {
    pub fn new(capacity: usize) -> Self {
        Self { entries: DashMap::new(), capacity }
    }

    pub fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The claims of a token verified before, if it has not expired since.
    pub fn get(&self, key: &[u8; 32], now: i64) -> Option<Claims> {
        let claims = self.entries.get(key)?.clone();
        if claims.exp > now {
            Some(claims)
        } else {
            self.entries.remove(key);
            None
        }
    }

    pub fn insert(&self, key: [u8; 32], claims: Claims, now: i64) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity {
            self.entries.retain(|_, c| c.exp > now);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        self.entries.insert(key, claims);
    }
}
