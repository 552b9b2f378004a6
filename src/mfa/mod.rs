//! Multi-factor authentication: TOTP (RFC 6238) with secrets sealed at rest and replay refused,
//! single-use backup codes, the second step of sign-in and the step-up of a session. HTTP
//! handlers live in `crate::http::mfa`; the step-up guard in `crate::authz`.

pub mod backup;
pub mod service;
pub mod store;
pub mod totp;
