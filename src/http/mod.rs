//! The HTTP layer: one file per resource, thin handlers, and the app factory that the server
//! and the tests share.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod authn;
pub mod authz;
pub mod docs;
pub mod documents;
pub mod exports;
pub mod extract;
pub mod files;
pub mod guards;
pub mod health;
pub mod idempotency;
pub mod jwks;
pub mod known_routes;
pub mod kyc;
pub mod ledger_request;
pub mod ledger_response;
pub mod me;
pub mod mfa;
pub mod middleware;
pub mod ops;
pub mod paging;
pub mod passwords;
pub mod peer;
pub mod problems;
pub mod registration;
mod server;
pub mod sessions;
pub mod transfers;
pub mod upload_form;

pub use server::{Application, build_app, build_app_with};

/// Parses an optional JSON body: empty means the defaults; anything else must be valid.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, crate::error::Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| crate::error::Problem::bad_request(format!("the JSON body does not match this endpoint: {e}")))
}
