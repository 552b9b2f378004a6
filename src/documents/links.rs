//! Signed download links (`crate::crypto::signed` tokens for the purpose `document-download`):
//! the payload names the exact version, the user the link was made for and how they may read it
//! (as owner or as staff); the expiry and the HMAC-SHA-256 tag under the `mac` ring come from
//! the signed-token module, checked in constant time. Expired, altered and foreign links all come
//! back as the same `None`, so the HTTP layer answers 404 for each alike and a prober learns
//! nothing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::{KeyRing, signed};

const PURPOSE: &str = "document-download";
const PAYLOAD: usize = 16 + 16 + 1;

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

/// The signed token for `grant` (goes in `/v1/files/{token}`).
pub fn sign(ring: &KeyRing, grant: &Grant) -> String {
    let mut payload = Vec::with_capacity(PAYLOAD);
    payload.extend_from_slice(grant.version_id.as_bytes());
    payload.extend_from_slice(grant.user_id.as_bytes());
    payload.push(match grant.scope {
        Scope::Owner => 0,
        Scope::Staff => 1,
    });
    signed::sign(ring, PURPOSE, &payload, grant.expires_at)
}

/// The grant of a genuine, unexpired link; `None` for anything else, whatever the cause.
pub fn verify(ring: &KeyRing, token: &str, now: DateTime<Utc>) -> Option<Grant> {
    let (payload, expires_at) = signed::verify(ring, PURPOSE, token, now)?;
    if payload.len() != PAYLOAD {
        return None;
    }
    let version_id = Uuid::from_slice(&payload[..16]).ok()?;
    let user_id = Uuid::from_slice(&payload[16..32]).ok()?;
    let scope = match payload[32] {
        0 => Scope::Owner,
        1 => Scope::Staff,
        _ => return None,
    };
    Some(Grant { version_id, user_id, scope, expires_at })
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
