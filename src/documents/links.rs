//! Signed download links: `v1.<mac key id>.<payload>.<tag>`, the payload naming the exact
//! version, the user the link was made for, how they may read it (as owner or as staff) and when
//! it expires; the tag an HMAC-SHA-256 under the `mac` ring, checked in constant time. Expired,
//! altered and foreign links all come back as the same `None`, so the HTTP layer answers 404 for
//! each alike and a prober learns nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use uuid::Uuid;

use crate::crypto::KeyRing;

const VERSION: &str = "v1";
/// Separates these tags from every other use of the mac ring (blind indexes, …).
const DOMAIN: &[u8] = b"tresor/document-download/v1\0";
const PAYLOAD: usize = 16 + 16 + 1 + 8;

/// How the link's user may read the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only if the document is theirs.
    Owner,
    /// Any customer's document: issued only to staff holding `kyc:review`.
    Staff,
}

/// What a valid link grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub version_id: Uuid,
    pub user_id: Uuid,
    pub scope: Scope,
    pub expires_at: DateTime<Utc>,
}

type HmacSha256 = Hmac<Sha256>;

fn tag(key: &[u8], payload: &[u8]) -> Option<HmacSha256> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).ok()?;
    mac.update(DOMAIN);
    mac.update(payload);
    Some(mac)
}

/// The signed token for `grant` (goes in `/v1/files/{token}`).
pub fn sign(ring: &KeyRing, grant: &Grant) -> String {
    let (key_id, key) = ring.active();
    let mut payload = Vec::with_capacity(PAYLOAD);
    payload.extend_from_slice(grant.version_id.as_bytes());
    payload.extend_from_slice(grant.user_id.as_bytes());
    payload.push(match grant.scope {
        Scope::Owner => 0,
        Scope::Staff => 1,
    });
    payload.extend_from_slice(&grant.expires_at.timestamp().to_be_bytes());
    let signature = tag(key.expose_secret(), &payload).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
    format!("{VERSION}.{key_id}.{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(signature))
}

/// The grant of a genuine, unexpired link; `None` for anything else, whatever the cause.
pub fn verify(ring: &KeyRing, token: &str, now: DateTime<Utc>) -> Option<Grant> {
    let mut parts = token.split('.');
    let (Some(VERSION), Some(key_id), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let key = ring.get(key_id)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok().filter(|p| p.len() == PAYLOAD)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    // `verify_slice` compares in constant time.
    tag(key.expose_secret(), &payload)?.verify_slice(&signature).ok()?;
    let version_id = Uuid::from_slice(&payload[..16]).ok()?;
    let user_id = Uuid::from_slice(&payload[16..32]).ok()?;
    let scope = match payload[32] {
        0 => Scope::Owner,
        1 => Scope::Staff,
        _ => return None,
    };
    let expires = i64::from_be_bytes(payload[33..41].try_into().ok()?);
    let expires_at = DateTime::from_timestamp(expires, 0)?;
    (now < expires_at).then_some(Grant { version_id, user_id, scope, expires_at })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::crypto::Keys;

    #[test]
    fn links_verify_until_they_expire_and_never_when_altered() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(dir.path(), true).unwrap();
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let grant = Grant {
            version_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            scope: Scope::Owner,
            expires_at: now + Duration::minutes(5),
        };
        let token = sign(&keys.mac, &grant);
        assert_eq!(verify(&keys.mac, &token, now), Some(grant.clone()));
        assert_eq!(verify(&keys.mac, &token, now + Duration::minutes(5)), None, "expired");
        for i in 0..token.len() {
            let mut altered = token.clone().into_bytes();
            altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(altered).unwrap();
            if altered != token {
                assert_eq!(verify(&keys.mac, &altered, now), None, "altered at {i}");
            }
        }
        let other = Keys::load(tempfile::tempdir().unwrap().path(), true).unwrap();
        assert_eq!(verify(&other.mac, &token, now), None, "another deployment's key");
        assert_eq!(verify(&keys.mac, "", now), None);
    }
}
