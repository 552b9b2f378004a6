//! Settings of MFA and of authorization (docs/api.md, MFA and Roles).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSettings {
    /// The issuer shown by authenticator apps (otpauth URI); no `:`.
    pub issuer: String,
    /// Sensitive operations need a session that passed MFA this recently.
    pub step_up_minutes: u64,
    /// Wrong codes one `mfa_token` may take before that sign-in is refused for good.
    pub max_failed_codes: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthzSettings {
    /// Without Redis: how long a user's roles and grants are trusted by a process before it reads
    /// them again (changes made through this process count at once; with Redis, everyone's do).
    pub cache_millis: u64,
}
