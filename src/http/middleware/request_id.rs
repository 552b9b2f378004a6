//! `X-Request-Id`: a valid incoming id is echoed (so a caller can correlate), anything else is
//! replaced by a fresh one.

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderMap, HeaderName};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl RequestId {
    fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let raw = headers.get(HEADER)?.to_str().ok()?;
        let valid = (1..=128).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        valid.then(|| Self(raw.to_owned()))
    }

    /// The id of this request, assigned once by the edge middleware and kept in its extensions.
    pub fn assign(req: &ServiceRequest) -> Self {
        let id = Self::from_headers(req.headers()).unwrap_or_else(|| Self(uuid::Uuid::new_v4().to_string()));
        req.extensions_mut().insert(id.clone());
        id
    }

    pub fn of(req: &ServiceRequest) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }
}
