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
    /// Who must have a second factor: `staff` (staff endpoints answer 403 `mfa-required`
    /// without one) or `all` (everyone gets 403 `mfa-enrolment-required` on everything but
    /// enrolment, the profile and signing out until they enrol).
    pub required_for: MfaRequiredFor,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MfaRequiredFor {
    Staff,
    All,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthzSettings {
    /// Without Redis: how long a user's roles and grants are trusted by a process before it reads
    /// them again (changes made through this process count at once; with Redis, everyone's do).
    pub cache_millis: u64,
}
