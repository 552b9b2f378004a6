//! Assertions with one of a known user's own passkeys: the step-up of a signed-in session, and
//! the second step of a password (or OpenID) sign-in. The options name the user's usable
//! passkeys; the ceremony is bound to the user and to the session or the sign-in challenge.

use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{AuthenticationResult, Passkey, PasskeyAuthentication, PublicKeyCredential};

use super::assertion::Purpose;
use super::problems::{invalid_ceremony, no_passkeys};
use super::registration::passkey_of;
use super::service::{Ceremony, Owner, Passkeys, SECOND_STEP, STEP_UP, credential_text};
use super::sign_in::usable;
use super::store::{self, PasskeyRow};
use crate::audit::{self, Event};
use crate::authz;
use crate::error::Error;
use crate::identity::Device;

/// An assertion that checked out, not yet recorded.
struct Checked {
    row: PasskeyRow,
    passkey: Passkey,
    result: AuthenticationResult,
    refusal: Purpose,
}

impl Passkeys {
    /// A ceremony naming `owner`'s usable passkeys (409 `no-passkeys` when there is none).
    async fn start_own(&self, purpose: &'static str, owner: Owner) -> Result<Ceremony, Error> {
        let relying_party = self.relying_party()?;
        let user_id = owner.user_id.ok_or_else(invalid_ceremony)?;
        let rows = store::list_for_user(self.db.reader(), user_id).await?;
        let passkeys =
            rows.iter().filter(|r| r.suspended_at.is_none()).map(passkey_of).collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(no_passkeys());
        }
        let (options, state) = relying_party
            .start_passkey_authentication(&passkeys)
            .map_err(|e| anyhow::anyhow!("starting a passkey assertion: {e}"))?;
        let options = serde_json::to_value(&options).map_err(anyhow::Error::from)?;
        self.open_ceremony(purpose, owner, &state, options).await
    }

    /// Checks an assertion for `owner`'s own ceremony of `purpose` (holding no connection: the
    /// ceremony and a suspension take their own); the passkey, for [`Passkeys::record_use`].
    async fn check_own(
        &self,
        purpose: &'static str,
        owner: Owner,
        ceremony: &str,
        credential: &PublicKeyCredential,
        device: &Device,
    ) -> Result<Checked, Error> {
        let relying_party = self.relying_party()?;
        let taken = self.take_ceremony::<PasskeyAuthentication>(purpose, ceremony).await?;
        let (Some(user_id), true) = (owner.user_id, taken.owner == owner) else { return Err(invalid_ceremony()) };
        let refusal = if purpose == STEP_UP { Purpose::StepUp } else { Purpose::SignIn };
        let found = store::find_by_credential(self.db.reader(), &credential_text(&credential.raw_id)).await?;
        let Some(row) = found.filter(|row| row.user_id == user_id.to_string()) else { return Err(refusal.refused()) };
        let passkey = usable(&row).and_then(passkey_of)?;
        let outcome = relying_party.finish_passkey_authentication(credential, &taken.state);
        let result = self.settle(&row, outcome, refusal, device).await?;
        Ok(Checked { row, passkey, result, refusal })
    }

    /// Records the checked use on `conn`; the passkey's id.
    async fn record_own(&self, conn: &mut sqlx::AnyConnection, checked: Checked) -> Result<String, Error> {
        let Checked { row, passkey, result, refusal } = checked;
        if !self.record_use(conn, &row, passkey, &result).await? {
            return Err(refusal.refused());
        }
        Ok(row.id)
    }

    /// The options for a step-up of `session_id` with one of the user's passkeys.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn start_step_up(&self, user_id: Uuid, session_id: Uuid) -> Result<Ceremony, Error> {
        let owner = Owner { user_id: Some(user_id), session_id: Some(session_id), challenge_id: None };
        self.start_own(STEP_UP, owner).await
    }

    /// Checks the assertion for the session's own step-up ceremony: the session counts as
    /// having passed MFA now (as `POST /v1/mfa/step-up` with a code). A passkey that is not the
    /// user's or does not check out is 403 `invalid-mfa-code`.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn finish_step_up(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        ceremony: &str,
        credential: &PublicKeyCredential,
        device: &Device,
    ) -> Result<(), Error> {
        let owner = Owner { user_id: Some(user_id), session_id: Some(session_id), challenge_id: None };
        let checked = self.check_own(STEP_UP, owner, ceremony, credential, device).await?;
        let mut tx = self.db.begin().await?;
        let passkey_id = self.record_own(&mut tx, checked).await?;
        authz::store::mark_session_mfa(&mut tx, session_id).await?;
        let audit_event = Event {
            action: "auth.mfa_step_up",
            target_type: "session",
            target_id: Some(session_id.to_string()),
            old: None,
            new: Some(json!({"factor": "passkey", "passkey_id": passkey_id})),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The options for the second step of the sign-in `challenge_id` (an `mfa_token`) of
    /// `user_id`. The caller (`Mfa`) checked that the challenge is live.
    pub async fn start_second_step(&self, user_id: Uuid, challenge_id: Uuid) -> Result<Ceremony, Error> {
        let owner = Owner { user_id: Some(user_id), session_id: None, challenge_id: Some(challenge_id) };
        self.start_own(SECOND_STEP, owner).await
    }

    /// Checks the assertion for that second step and records the use; the caller (`Mfa`)
    /// counts the attempt, ends the challenge and opens the session. Refusals are 401
    /// `passkey-invalid`, 403 `passkey-suspended` and 400 `passkey-ceremony-invalid`.
    pub async fn check_second_step(
        &self,
        user_id: Uuid,
        challenge_id: Uuid,
        ceremony: &str,
        credential: &PublicKeyCredential,
        device: &Device,
    ) -> Result<(), Error> {
        let owner = Owner { user_id: Some(user_id), session_id: None, challenge_id: Some(challenge_id) };
        let checked = self.check_own(SECOND_STEP, owner, ceremony, credential, device).await?;
        self.record_own(&mut *self.db.writer().acquire().await?, checked).await?;
        Ok(())
    }
}
