//! Multi-factor authentication: TOTP (RFC 6238) with secrets sealed at rest and replay refused,
//! single-use backup codes, the second step of sign-in (a code, or a passkey: `passkey_step`) and
//! the step-up of a session, as the [`Mfa`] capability. HTTP handlers live in `crate::http::mfa`;
//! the step-up guard in `crate::authz`.

pub mod backup;
mod enrolment;
mod error;
mod passkey_step;
mod policy;
mod reset;
mod service;
mod sign_in;
pub mod store;
pub mod totp;

pub use error::{MfaError, WrongCode};
pub use reset::ResetDone;
pub use service::{Collaborators, Mfa, Proof, Setup, Used};
