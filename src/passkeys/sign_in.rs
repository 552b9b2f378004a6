//! Passwordless sign-in with a discoverable passkey: the session passed MFA and counts as
//! stepped up. The same service API serves the staff console: [`Passkeys::start_sign_in`], then
//! [`Passkeys::finish_sign_in`].

use webauthn_rs::prelude::{DiscoverableAuthentication, PublicKeyCredential};

use super::assertion::Purpose;
use super::problems::{sign_in_failed, suspended};
use super::registration::passkey_of;
use super::service::{Ceremony, Owner, Passkeys, SIGN_IN, credential_text};
use super::store::{self, PasskeyRow};
use crate::error::Error;
use crate::identity::store::users;
use crate::identity::{Device, SessionStart, TokenPair};

/// How sessions opened by a passkey say so (`sessions.via`, the `auth.login` audit entry).
pub const VIA: &str = "passkey";

impl Passkeys {
    /// The options for `navigator.credentials.get` with no credential named: the authenticator
    /// offers its discoverable passkeys for this site. User verification required.
    pub async fn start_sign_in(&self) -> Result<Ceremony, Error> {
        let relying_party = self.relying_party()?;
        let (mut options, state) = relying_party
            .start_discoverable_authentication()
            .map_err(|e| anyhow::anyhow!("starting a passkey sign-in: {e}"))?;
        // A button-started ceremony, not autofill (conditional mediation).
        options.mediation = None;
        let options = serde_json::to_value(&options).map_err(anyhow::Error::from)?;
        self.open_ceremony(SIGN_IN, Owner::default(), &state, options).await
    }

    /// Checks the assertion against the passkey it names and opens a session for its owner
    /// (`mfa: true`, `via: "passkey"`) on `device`. A deleted or staff-locked user, an unknown
    /// passkey or a user handle that is not the passkey owner's are refused alike (401
    /// `passkey-invalid`).
    #[tracing::instrument(skip_all)]
    pub async fn finish_sign_in(
        &self,
        ceremony: &str,
        credential: &PublicKeyCredential,
        device: &Device,
        remember: bool,
    ) -> Result<TokenPair, Error> {
        let relying_party = self.relying_party()?;
        let taken = self.take_ceremony::<DiscoverableAuthentication>(SIGN_IN, ceremony).await?;
        let (handle, credential_id) =
            relying_party.identify_discoverable_authentication(credential).map_err(|_| sign_in_failed())?;
        let Some(row) = store::find_by_credential(self.db.reader(), &credential_text(credential_id)).await? else {
            return Err(sign_in_failed());
        };
        let owner = store::user_of_handle(self.db.reader(), handle).await?;
        let Some(user_id) = owner.filter(|owner| owner.to_string() == row.user_id) else {
            return Err(sign_in_failed());
        };
        let passkey = usable(&row).and_then(passkey_of)?;
        let outcome = relying_party.finish_discoverable_authentication_v2(credential, taken.state, &passkey);
        let result = self.settle(&row, outcome, Purpose::SignIn, device).await?;
        let user = users::find(self.db.reader(), user_id).await?;
        let Some(user) = user.filter(|u| !u.is_deleted() && u.staff_locked_at.is_none()) else {
            return Err(sign_in_failed());
        };
        if !self.record_use(&mut *self.db.writer().acquire().await?, &row, passkey, &result).await? {
            return Err(sign_in_failed());
        }
        let email = user.email.clone().unwrap_or_default();
        let start = SessionStart { mfa: true, remember };
        self.sessions.start_session_via(user_id, &email, device, start, Some(VIA)).await
    }
}

/// The row, unless its passkey is stopped.
pub(super) fn usable(row: &PasskeyRow) -> Result<&PasskeyRow, Error> {
    if row.suspended_at.is_some() { Err(suspended()) } else { Ok(row) }
}
