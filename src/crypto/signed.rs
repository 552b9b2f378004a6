//! Signed, expiring tokens for links that work without a bearer token (an export link in an
//! email, a document download): `v1.<mac key id>.<base64url(expiry ‖ payload)>.<base64url(tag)>`.
//!
//! The tag is HMAC-SHA-256 under the `mac` ring over a purpose string, the expiry and the
//! payload, and is checked in constant time. The purpose separates these tags from every other
//! use of the ring (blind indexes, other kinds of link), so a token made for one purpose never
//! verifies for another. Expired, altered, unknown-key and other-purpose tokens all come back as
//! the same `None`: the HTTP layer answers 404 to each alike, and a prober learns nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::KeyRing;

const VERSION: &str = "v1";

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], purpose: &str, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).ok()?;
    mac.update(b"tresor/signed/");
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(body);
    Some(mac)
}

/// A token carrying `payload` for `purpose`, valid until `expires_at`.
pub fn sign(ring: &KeyRing, purpose: &str, payload: &[u8], expires_at: DateTime<Utc>) -> String {
    let (key_id, key) = ring.active();
    let mut body = Vec::with_capacity(8 + payload.len());
    body.extend_from_slice(&expires_at.timestamp().to_be_bytes());
    body.extend_from_slice(payload);
    // HMAC accepts keys of any length, so `mac` only fails on a ring it could not have loaded.
    let tag = mac(key.expose_secret(), purpose, &body).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
    format!("{VERSION}.{key_id}.{}.{}", URL_SAFE_NO_PAD.encode(body), URL_SAFE_NO_PAD.encode(tag))
}

/// What a valid token for `purpose` carries, with its expiry; `None` for anything else.
pub fn verify(ring: &KeyRing, purpose: &str, token: &str, now: DateTime<Utc>) -> Option<(Vec<u8>, DateTime<Utc>)> {
    let mut parts = token.split('.');
    let (Some(VERSION), Some(key_id), Some(body), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let key = ring.get(key_id)?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(key.expose_secret(), purpose, &body)?.verify_slice(&tag).ok()?;
    let (expiry, payload) = body.split_at_checked(8)?;
    let expires_at = DateTime::from_timestamp(i64::from_be_bytes(expiry.try_into().ok()?), 0)?;
    (now < expires_at).then(|| (payload.to_vec(), expires_at))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::crypto::Keys;

    fn keys() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        Keys::load(dir.path(), true).unwrap()
    }

    #[test]
    fn a_token_verifies_for_its_purpose_until_it_expires() {
        let keys = keys();
        let ring = &keys.mac;
        let now = Utc::now();
        let token = sign(ring, "export", b"payload", now + Duration::minutes(5));
        let (payload, _) = verify(ring, "export", &token, now).unwrap();
        assert_eq!(payload, b"payload");
        assert!(verify(ring, "export", &token, now + Duration::minutes(6)).is_none(), "expired");
        assert!(verify(ring, "document", &token, now).is_none(), "other purpose");
    }

    #[test]
    fn any_altered_part_is_refused() {
        let keys = keys();
        let ring = &keys.mac;
        let now = Utc::now();
        let token = sign(ring, "export", b"payload", now + Duration::minutes(5));
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != token {
                assert!(verify(ring, "export", &altered, now).is_none(), "altered at {i}: {altered}");
            }
        }
        assert!(verify(ring, "export", &format!("{token}.x"), now).is_none());
        assert!(verify(ring, "export", "", now).is_none());
    }
}
