//! The canonical encoding of a link and its hash. Changing this breaks every stored chain, so it
//! is fixed: SHA-256 over the JSON of [`Link`] with its fields in declaration order.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash the first link points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Every stored column of a row except its own hash, as stored (text, not parsed values), so
/// verification hashes exactly what is in the database.
#[derive(Serialize)]
pub struct Link<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub at: &'a str,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub prev_hash: &'a str,
}

impl Link<'_> {
    pub fn hash(&self) -> String {
        // Serializing borrowed strings and integers cannot fail.
        let encoded = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&encoded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(prev_hash: &str) -> Link<'_> {
        Link {
            seq: 1,
            id: "0192f6a0-0000-7000-8000-000000000000",
            at: "2026-11-24T00:00:00.000000Z",
            actor_id: None,
            action: "test.action",
            target_type: "thing",
            target_id: Some("1"),
            ip: None,
            user_agent: None,
            old_value: None,
            new_value: Some("{\"a\":1}"),
            prev_hash,
        }
    }

    #[test]
    fn hash_depends_on_every_field_including_the_previous_hash() {
        let base = link(GENESIS).hash();
        assert_eq!(base, link(GENESIS).hash(), "the encoding is deterministic");
        assert_ne!(base, link("ff").hash());
        let mut other = link(GENESIS);
        other.new_value = Some("{\"a\":2}");
        assert_ne!(base, other.hash());
        let mut moved = link(GENESIS);
        moved.target_id = None;
        moved.action = "test.action1";
        assert_ne!(base, moved.hash(), "field boundaries are part of the encoding");
        assert_eq!(base.len(), 64);
    }
}
