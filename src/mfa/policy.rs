//! `[mfa] required_for`: who must have a second factor before anything but enrolment answers.

use uuid::Uuid;

use super::service::Mfa;
use super::store;
use crate::config::MfaRequiredFor;
use crate::error::{Error, Kind, Problem};

impl Mfa {
    /// Whether the user has a second factor enrolled (TOTP, or a usable passkey): the one query
    /// the enrolment policy asks.
    pub async fn has_second_factor(&self, user_id: Uuid) -> Result<bool, Error> {
        Ok(store::has_second_factor(self.db.reader(), user_id).await?)
    }

    /// The `required_for = "all"` rule for a signed-in request: `Ok` when the policy is
    /// `staff` (staff endpoints check MFA themselves), when the session passed MFA, or when the
    /// user has a second factor; else 403 `mfa-enrolment-required`.
    pub async fn enforce_enrolment(&self, user_id: Uuid, session_passed_mfa: bool) -> Result<(), Error> {
        if self.required_for == MfaRequiredFor::Staff || session_passed_mfa || self.has_second_factor(user_id).await? {
            return Ok(());
        }
        Err(Problem::new(
            Kind::Forbidden,
            "mfa-enrolment-required",
            "this service requires a second factor: enrol TOTP (POST /v1/mfa/totp/setup, then /enable) or a passkey \
             first; until then only enrolment, your profile and signing out answer",
        )
        .into())
    }
}
