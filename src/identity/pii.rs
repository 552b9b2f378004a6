//! Personal data at rest: each field sealed under the encryption ring with associated data
//! naming its table, column and row (so a ciphertext copied elsewhere does not open), and the
//! SSN findable through a keyed blind index that reveals nothing without the MAC key.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::crypto::{KeyRing, aead};

/// The sealed columns of `users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Phone,
    DateOfBirth,
    Ssn,
    Address,
}

impl Column {
    pub const ALL: [Self; 4] = [Self::Phone, Self::DateOfBirth, Self::Ssn, Self::Address];

    pub fn name(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::DateOfBirth => "date_of_birth",
            Self::Ssn => "ssn",
            Self::Address => "address",
        }
    }
}

fn place(column: Column, user_id: &str) -> String {
    aead::associated_data("users", column.name(), user_id)
}

pub fn seal(ring: &KeyRing, column: Column, user_id: &str, plaintext: &str) -> String {
    aead::seal(ring, plaintext.as_bytes(), &place(column, user_id))
}

pub fn open(ring: &KeyRing, column: Column, user_id: &str, sealed: &str) -> anyhow::Result<String> {
    let plain = aead::open(ring, sealed, &place(column, user_id))
        .map_err(|e| anyhow::anyhow!("users.{} of {user_id}: {e}", column.name()))?;
    Ok(String::from_utf8(plain)?)
}

/// Opens an optional sealed column.
pub fn open_opt(ring: &KeyRing, column: Column, user_id: &str, sealed: Option<&str>) -> anyhow::Result<Option<String>> {
    sealed.map(|s| open(ring, column, user_id, s)).transpose()
}

fn mac_with(key_id: &str, key: &crate::crypto::keyring::Secret, ssn: &str) -> String {
    // HMAC-SHA-256 takes keys of any length: new_from_slice cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(b"tresor/users/ssn_index\0");
    mac.update(ssn.as_bytes());
    format!("{key_id}:{}", hex::encode(mac.finalize().into_bytes()))
}

/// The blind index stored with an SSN, under the active MAC key.
pub fn ssn_index(mac: &KeyRing, canonical_ssn: &str) -> String {
    let (id, key) = mac.active();
    mac_with(id, key, canonical_ssn)
}

/// The index under every MAC key of the ring: what a duplicate check looks for, so rows
/// indexed before a MAC-key rotation are still found.
pub fn ssn_index_candidates(mac: &KeyRing, canonical_ssn: &str) -> Vec<String> {
    mac.ids().filter_map(|id| mac.get(id).map(|key| mac_with(id, key, canonical_ssn))).collect()
}

/// A keyed hash of any identifier (an attempted email in a security event), so events about
/// the same target can be correlated without storing what an attacker typed.
pub fn subject_index(mac: &KeyRing, kind: &str, value: &str) -> String {
    let (id, key) = mac.active();
    let Ok(mut hmac) = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()) else {
        return String::new();
    };
    hmac.update(b"tresor/subject/");
    hmac.update(kind.as_bytes());
    hmac.update(b"\0");
    hmac.update(value.as_bytes());
    format!("{id}:{}", &hex::encode(hmac.finalize().into_bytes())[..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keys;

    #[test]
    fn fields_open_only_in_their_row_and_column_and_the_index_is_keyed() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(dir.path(), true).unwrap();
        let sealed = seal(&keys.encryption, Column::Ssn, "u1", "123-45-6789");
        assert!(!sealed.contains("6789"));
        assert_eq!(open(&keys.encryption, Column::Ssn, "u1", &sealed).unwrap(), "123-45-6789");
        assert!(open(&keys.encryption, Column::Ssn, "u2", &sealed).is_err());
        assert!(open(&keys.encryption, Column::Phone, "u1", &sealed).is_err());

        let index = ssn_index(&keys.mac, "123-45-6789");
        assert_eq!(index, ssn_index(&keys.mac, "123-45-6789"), "deterministic");
        assert_ne!(index, ssn_index(&keys.mac, "123-45-6780"));
        assert!(!index.contains("6789"));
        assert_eq!(ssn_index_candidates(&keys.mac, "123-45-6789"), vec![index]);
    }
}
