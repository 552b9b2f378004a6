//! What protects a card's number and code: the PAN sealed to its row, its blind index under
//! every MAC key (for lookups that survive a key rotation), and the CVV — a keyed MAC of the
//! PAN and expiry, never stored, compared in constant time.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::pan::Pan;
use crate::crypto::{KeyRing, aead};

fn mac(key: &crate::crypto::keyring::Secret, purpose: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).ok()?;
    mac.update(purpose);
    for part in parts {
        mac.update(b"\0");
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

fn index_with(key_id: &str, key: &crate::crypto::keyring::Secret, pan: &Pan) -> Option<String> {
    let digest = mac(key, b"tresor/cards/pan_index", &[pan.as_str().as_bytes()])?;
    Some(format!("{key_id}:{}", hex::encode(digest)))
}

/// The PAN's blind index under the active MAC key (stored).
pub fn pan_index(ring: &KeyRing, pan: &Pan) -> Option<String> {
    let (id, key) = ring.active();
    index_with(id, key, pan)
}

/// The PAN's index under every MAC key: a lookup finds cards indexed before a rotation.
pub fn pan_index_candidates(ring: &KeyRing, pan: &Pan) -> Vec<String> {
    ring.ids().filter_map(|id| ring.get(id).and_then(|key| index_with(id, key, pan))).collect()
}

/// Seals the PAN to its card's row.
pub fn seal_pan(ring: &KeyRing, card_id: &str, pan: &Pan) -> String {
    aead::seal(ring, pan.as_str().as_bytes(), &aead::associated_data("cards", "pan_sealed", card_id))
}

/// A sealed PAN under the active key (after `tresor keys rotate`).
pub fn reseal_pan(ring: &KeyRing, card_id: &str, sealed: &str) -> anyhow::Result<String> {
    let associated = aead::associated_data("cards", "pan_sealed", card_id);
    let plain = aead::open(ring, sealed, &associated)?;
    Ok(aead::seal(ring, &plain, &associated))
}

/// The card's CVV: three digits derived from the PAN and expiry under the MAC key `key_id`.
pub fn cvv(ring: &KeyRing, key_id: &str, pan: &Pan, month: u32, year: i32) -> Option<String> {
    let key = ring.get(key_id)?;
    let expiry = format!("{month:02}/{year}");
    let digest = mac(key, b"tresor/cards/cvv", &[pan.as_str().as_bytes(), expiry.as_bytes()])?;
    let number = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1000;
    Some(format!("{number:03}"))
}

/// Whether `offered` is the card's CVV, compared in constant time.
pub fn cvv_matches(ring: &KeyRing, key_id: &str, pan: &Pan, month: u32, year: i32, offered: &str) -> bool {
    let Some(expected) = cvv(ring, key_id, pan, month, year) else { return false };
    offered.len() == expected.len() && bool::from(expected.as_bytes().ct_eq(offered.as_bytes()))
}
