//! The download link of an export: a signed token naming the export and the user it was made
//! for, valid until the export expires. It is the only credential `GET /v1/exports/{token}`
//! needs (it arrives by email), so it is long, unguessable and bound to one export.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::{KeyRing, signed};

const PURPOSE: &str = "export-download";

/// What a valid link names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportLink {
    pub export_id: Uuid,
    pub user_id: Uuid,
}

pub fn sign(ring: &KeyRing, link: ExportLink, expires_at: DateTime<Utc>) -> String {
    let mut payload = [0u8; 32];
    payload[..16].copy_from_slice(link.export_id.as_bytes());
    payload[16..].copy_from_slice(link.user_id.as_bytes());
    signed::sign(ring, PURPOSE, &payload, expires_at)
}

/// The export a token names; `None` for an expired, altered or foreign token.
pub fn verify(ring: &KeyRing, token: &str, now: DateTime<Utc>) -> Option<ExportLink> {
    let (payload, _) = signed::verify(ring, PURPOSE, token, now)?;
    let (export, user) = payload.split_at_checked(16)?;
    Some(ExportLink { export_id: Uuid::from_slice(export).ok()?, user_id: Uuid::from_slice(user).ok()? })
}

/// The absolute URL of the download.
pub fn url(public_url: &str, token: &str) -> String {
    format!("{}/v1/exports/{token}", public_url.trim_end_matches('/'))
}
