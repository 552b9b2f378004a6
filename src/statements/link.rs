//! A statement's download link: a signed token naming the statement, the user it was made for
//! and the format, valid five minutes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::StatementFormat;
use crate::crypto::{KeyRing, signed};

const PURPOSE: &str = "statement-download";

pub struct Named {
    pub statement_id: Uuid,
    pub user_id: Uuid,
    pub format: StatementFormat,
}

pub fn sign(ring: &KeyRing, statement: Uuid, user: Uuid, format: StatementFormat, expires_at: DateTime<Utc>) -> String {
    let mut payload = [0u8; 33];
    payload[..16].copy_from_slice(statement.as_bytes());
    payload[16..32].copy_from_slice(user.as_bytes());
    payload[32] = match format {
        StatementFormat::Pdf => b'p',
        StatementFormat::Csv => b'c',
    };
    signed::sign(ring, PURPOSE, &payload, expires_at)
}

/// What a token names; `None` for an expired, altered or foreign one.
pub fn verify(ring: &KeyRing, token: &str, now: DateTime<Utc>) -> Option<Named> {
    let (payload, _) = signed::verify(ring, PURPOSE, token, now)?;
    if payload.len() != 33 {
        return None;
    }
    let format = match payload[32] {
        b'p' => StatementFormat::Pdf,
        b'c' => StatementFormat::Csv,
        _ => return None,
    };
    Some(Named {
        statement_id: Uuid::from_slice(&payload[..16]).ok()?,
        user_id: Uuid::from_slice(&payload[16..32]).ok()?,
        format,
    })
}
