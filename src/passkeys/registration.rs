//! Adding a passkey (a WebAuthn registration as a second factor, discoverable so it can also
//! sign in without a password), listing and removing them.

use chrono::{DateTime, Utc};
use serde_json::json;
use tresor_jobs::email::Template;
use uuid::Uuid;
use webauthn_rs::prelude::{Passkey, PasskeyRegistration, RegisterPublicKeyCredential};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::problems::{already_registered, invalid_ceremony, not_found, registration_failed};
use super::service::{Ceremony, Owner, Passkeys, REGISTER, credential_text, event};
use super::store::{self, PasskeyRow};
use crate::audit;
use crate::db::{decode, time};
use crate::error::Error;
use crate::identity::Device;

/// A passkey as its owner sees it.
#[derive(Clone, Debug)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The authenticator may sync it to other devices.
    pub backup_eligible: bool,
    /// It is synced (backed up) now.
    pub backed_up: bool,
    /// Stopped after its sign counter went backwards.
    pub suspended: bool,
}

impl TryFrom<&PasskeyRow> for PasskeyInfo {
    type Error = sqlx::Error;

    fn try_from(row: &PasskeyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: decode::uuid(&row.id)?,
            name: row.name.clone(),
            created_at: decode::time(&row.created_at)?,
            last_used_at: decode::opt_time(row.last_used_at.clone())?,
            backup_eligible: row.backup_eligible != 0,
            backed_up: row.backup_state != 0,
            suspended: row.suspended_at.is_some(),
        })
    }
}

/// A stored passkey as the library reads it.
pub(super) fn passkey_of(row: &PasskeyRow) -> Result<Passkey, Error> {
    serde_json::from_str(&row.passkey).map_err(|e| anyhow::anyhow!("passkeys.passkey of {}: {e}", row.id).into())
}

impl Passkeys {
    /// The options for `navigator.credentials.create`: user verification required, a
    /// discoverable credential asked for, the user's passkeys excluded.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn start_registration(&self, user_id: Uuid) -> Result<Ceremony, Error> {
        let relying_party = self.relying_party()?;
        let user = self.identity.live_user(user_id).await?;
        let existing = store::list_for_user(self.db.reader(), user_id).await?;
        let exclude =
            existing.iter().map(passkey_of).map(|p| p.map(|p| p.cred_id().clone())).collect::<Result<Vec<_>, _>>()?;
        let handle = store::handle_of(&mut *self.db.writer().acquire().await?, user_id).await?;
        let account = user.email.clone().unwrap_or_else(|| user.id.clone());
        let display = if user.full_name.trim().is_empty() { account.clone() } else { user.full_name.clone() };
        let (mut options, state) = relying_party
            .start_passkey_registration(handle, &account, &display, Some(exclude).filter(|e| !e.is_empty()))
            .map_err(|e| anyhow::anyhow!("starting a passkey registration: {e}"))?;
        // A passkey that can sign in without a password must be discoverable (a resident key).
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let options = serde_json::to_value(&options).map_err(anyhow::Error::from)?;
        self.open_ceremony(REGISTER, Owner { user_id: Some(user_id), ..Owner::default() }, &state, options).await
    }

    /// Checks the authenticator's answer to the user's registration ceremony and stores the
    /// passkey as `name`; the owner is emailed.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn finish_registration(
        &self,
        user_id: Uuid,
        ceremony: &str,
        credential: &RegisterPublicKeyCredential,
        name: String,
        device: &Device,
    ) -> Result<PasskeyInfo, Error> {
        let relying_party = self.relying_party()?;
        let taken = self.take_ceremony::<PasskeyRegistration>(REGISTER, ceremony).await?;
        if taken.owner.user_id != Some(user_id) {
            return Err(invalid_ceremony());
        }
        let passkey = relying_party.finish_passkey_registration(credential, &taken.state).map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            registration_failed()
        })?;
        let user = self.identity.live_user(user_id).await?;
        let stored = serde_json::to_value(&passkey).map_err(anyhow::Error::from)?;
        // The library keeps the counter and flags inside its credential; the columns mirror them.
        let flag = |name: &str| i64::from(stored["cred"][name].as_bool().unwrap_or(false));
        let row = PasskeyRow {
            id: Uuid::now_v7().to_string(),
            user_id: user_id.to_string(),
            credential_id: credential_text(passkey.cred_id()),
            name,
            passkey: stored.to_string(),
            sign_count: stored["cred"]["counter"].as_i64().unwrap_or(0),
            backup_eligible: flag("backup_eligible"),
            backup_state: flag("backup_state"),
            created_at: time::to_db(time::now()),
            last_used_at: None,
            suspended_at: None,
        };
        let mut tx = self.db.begin().await?;
        if !store::insert_passkey(&mut tx, &row).await? {
            return Err(already_registered());
        }
        let audit_event = event("mfa.passkey_added", user_id, json!({"passkey_id": row.id}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        let mail = self.email_owner(&mut tx, &user, Template::PasskeyAdded, &row.name, device).await?;
        tx.commit().await?;
        self.after_commit(mail).await;
        self.authz.publish_change(user_id).await;
        Ok(PasskeyInfo::try_from(&row)?)
    }

    /// The user's passkeys, oldest first.
    pub async fn list(&self, user_id: Uuid) -> Result<Vec<PasskeyInfo>, Error> {
        let rows = store::list_for_user(self.db.reader(), user_id).await?;
        Ok(rows.iter().map(PasskeyInfo::try_from).collect::<Result<_, _>>()?)
    }

    /// Removes the user's passkey `id` (404 when it is not theirs); the owner is emailed.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn remove(&self, user_id: Uuid, id: Uuid, device: &Device) -> Result<(), Error> {
        let user = self.identity.live_user(user_id).await?;
        let mut tx = self.db.begin().await?;
        let Some(name) = store::remove(&mut tx, user_id, id).await? else { return Err(not_found()) };
        let audit_event = event("mfa.passkey_removed", user_id, json!({"passkey_id": id}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        let mail = self.email_owner(&mut tx, &user, Template::PasskeyRemoved, &name, device).await?;
        tx.commit().await?;
        self.after_commit(mail).await;
        self.authz.publish_change(user_id).await;
        Ok(())
    }
}
