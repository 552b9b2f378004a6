//! Backup codes: ten per set, shown once, stored as keyed hashes (HMAC-SHA-256 under the MAC
//! ring, bound to the user), each good for one sign-in or step-up.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::crypto::{KeyRing, random};

pub const COUNT: usize = 10;
/// Characters per code: 10 of a 32-letter alphabet, 50 bits.
const LENGTH: usize = 10;
/// Crockford's base32, lower case: no i, l, o, u to misread.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A fresh set, formatted `xxxxx-xxxxx`.
pub fn generate() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let bytes = random::bytes::<LENGTH>();
            let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The code as hashed: dashes and spaces dropped, lower case; `None` when it cannot be one.
pub fn normalize(raw: &str) -> Option<String> {
    let code: String = raw.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect::<String>().to_lowercase();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn mac_with(key_id: &str, key: &crate::crypto::keyring::Secret, user_id: &str, code: &str) -> Option<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).ok()?;
    mac.update(b"tresor/mfa_backup_codes/");
    mac.update(user_id.as_bytes());
    mac.update(b"\0");
    mac.update(code.as_bytes());
    Some(format!("{key_id}:{}", hex::encode(mac.finalize().into_bytes())))
}

/// The stored form of a normalized code, under the active MAC key.
pub fn hash(mac: &KeyRing, user_id: &str, code: &str) -> String {
    let (id, key) = mac.active();
    mac_with(id, key, user_id, code).unwrap_or_default()
}

/// The stored form under every key of the ring, so sets made before a MAC rotation still work.
pub fn candidates(mac: &KeyRing, user_id: &str, code: &str) -> Vec<String> {
    mac.ids().filter_map(|id| mac.get(id).and_then(|key| mac_with(id, key, user_id, code))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_readable_and_normalize() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 11);
            let normal = normalize(code).unwrap();
            assert_eq!(normalize(&code.to_uppercase()), Some(normal.clone()));
            assert_eq!(normal.len(), 10);
        }
        assert_eq!(normalize("abcde"), None);
        assert_eq!(normalize("abcde-fghil"), None, "l is not in the alphabet");
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::crypto::Keys::load(dir.path(), true).unwrap();
        let h = hash(&keys.mac, "u1", "abcdefghjk");
        assert!(!h.contains("abcdefghjk"));
        assert_ne!(h, hash(&keys.mac, "u2", "abcdefghjk"));
        assert_eq!(candidates(&keys.mac, "u1", "abcdefghjk"), vec![h]);
    }
}
