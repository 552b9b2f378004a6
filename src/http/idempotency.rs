//! The `Idempotency-Key` header of money-moving requests: parsed here, then scoped to the caller
//! and fingerprinted with the request (`crate::ledger::idempotency`).

use actix_web::HttpRequest;
use serde::Serialize;

use super::authn::AuthUser;
use crate::error::{Error, Kind, Problem};
use crate::ledger::command::Idempotency;
use crate::ledger::idempotency;

pub const HEADER: &str = "idempotency-key";

/// Parses the header value: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: Option<&str>) -> Result<String, Problem> {
    let Some(raw) = raw else {
        return Err(Problem::new(
            Kind::Invalid,
            "idempotency-key-required",
            "money-moving requests need an Idempotency-Key header (1 to 255 characters), e.g. a UUID",
        ));
    };
    let valid = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Problem::bad_request("the Idempotency-Key header must be 1 to 255 visible ASCII characters"))
    }
}

/// The request's `Idempotency-Key`, scoped to the caller and fingerprinted with the request.
pub fn idempotency_key(req: &HttpRequest, user: &AuthUser, body: &impl Serialize) -> Result<Idempotency, Error> {
    let raw = req.headers().get(HEADER).map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = parse_key(raw)?;
    Ok(idempotency::scoped(user.user_id, &key, req.method().as_str(), req.path(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(parse_key(None).is_err());
        assert!(parse_key(Some("")).is_err());
        assert!(parse_key(Some(&"k".repeat(256))).is_err());
        assert!(parse_key(Some("has space")).is_err());
        assert_eq!(parse_key(Some("abc-123")).unwrap(), "abc-123");
    }
}
