//! CSRF tokens: 256 random bits, base64url, compared in constant time.

use actix_web::cookie::Cookie;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::crypto::random;

/// The token a page's form carries, and the cookie to set when the request had none.
#[derive(Debug)]
pub struct FormToken {
    pub value: String,
    pub cookie: Option<Cookie<'static>>,
}

pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random::bytes::<32>())
}

pub fn well_formed(raw: &str) -> bool {
    raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether the presented token is the cookie's (constant time; an empty cookie matches nothing).
pub fn matches(expected: &str, presented: &str) -> bool {
    well_formed(expected) && bool::from(expected.as_bytes().ct_eq(presented.trim().as_bytes()))
}
