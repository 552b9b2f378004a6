//! The HTTP layer: one file per resource, thin handlers, and the app factory that the server
//! and the tests share.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod authn;
pub mod authz;
pub mod browser_session;
pub mod card_network;
pub mod cards;
pub mod console;
pub mod docs;
pub mod documents;
pub mod events;
pub mod exports;
pub mod extract;
pub mod files;
pub mod guards;
pub mod health;
pub mod holds;
pub mod idempotency;
pub mod identities;
pub mod jwks;
pub mod known_routes;
pub mod kyc;
pub mod ledger_request;
pub mod ledger_response;
pub mod me;
pub mod mfa;
pub mod middleware;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod paging;
pub mod passkeys;
pub mod passwords;
pub mod peer;
pub mod problems;
pub mod registration;
mod routes;
pub mod scheduled_transfers;
mod server;
pub mod sessions;
pub mod statements;
pub mod template_set;
pub mod transfers;
pub mod upload_form;

pub use server::{Application, SharedByWorkers, build_app, build_app_with};

/// Parses an optional JSON body: empty means the defaults; anything else must be valid.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, crate::error::Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| crate::error::Problem::bad_request(format!("the JSON body does not match this endpoint: {e}")))
}
