//! MFA (docs/api.md, MFA): TOTP enrolment, sign-in with a code, replay refused, backup codes, wrong
//! codes locking the MFA step, disabling, step-up. Codes are computed by an implementation of
//! RFC 6238 in these tests (HMAC-SHA-1 from the `hmac` and `sha1` crates), not by the server's.

mod backup_codes;
mod flows;
mod rotation;
mod step_up;
