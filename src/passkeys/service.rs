//! [`Passkeys`]: the capability, and what its flows share — the relying party, the ceremonies
//! kept on the server (sealed library state behind a random token, consumed once) and the
//! owner's emails.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::Deferred;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;
use webauthn_rs::Webauthn;

use super::problems::{invalid_ceremony, unavailable};
use super::relying_party::{self, CEREMONY_SECS};
use super::store;
use crate::audit::Event;
use crate::authz::Authz;
use crate::config::Config;
use crate::crypto::{Keys, aead};
use crate::db::{Db, decode, time};
use crate::error::Error;
use crate::identity::store::users::UserRow;
use crate::identity::tokens::opaque;
use crate::identity::{Device, Identity, Sessions, emails};

pub(super) const REGISTER: &str = "register";
pub(super) const SIGN_IN: &str = "sign_in";
pub(super) const STEP_UP: &str = "step_up";
pub(super) const SECOND_STEP: &str = "second_step";

/// What a ceremony's start answers: the token its finish must bring back, and the options for
/// `navigator.credentials.create` / `.get` (the `publicKey` member, in WebAuthn's JSON form:
/// `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON` read it).
#[derive(Debug)]
pub struct Ceremony {
    pub token: String,
    pub public_key: serde_json::Value,
    pub expires_in: u64,
}

/// Whose a ceremony is: the user, and the session (a step-up) or the sign-in challenge (the
/// second step of a sign-in) it is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Owner {
    pub user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub challenge_id: Option<Uuid>,
}

/// A consumed ceremony: whose it was and the library's state.
pub(super) struct Taken<S> {
    pub owner: Owner,
    pub state: S,
}

/// Passkey registration, passwordless sign-in, step-up, list and removal.
pub struct Passkeys {
    pub(super) db: Db,
    pub(super) keys: Arc<Keys>,
    pub(super) jobs: tresor_jobs::Store,
    /// Told when a user's passkeys change (staff permissions depend on MFA enrolment).
    pub(super) authz: Arc<Authz>,
    pub(super) identity: Arc<Identity>,
    /// Opening the session of a passwordless sign-in.
    pub(super) sessions: Arc<Sessions>,
    /// `None` when `TRESOR_PUBLIC_URL` names an IP address.
    relying_party: Option<Webauthn>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").field("enabled", &self.relying_party.is_some()).finish_non_exhaustive()
    }
}

fn state_place(ceremony_id: &str) -> String {
    aead::associated_data("passkey_ceremonies", "state", ceremony_id)
}

/// A credential id as stored: base64url without padding.
pub(super) fn credential_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

pub(super) fn event(action: &'static str, user_id: Uuid, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(user_id.to_string()), old: None, new: Some(new) }
}

impl Passkeys {
    pub fn new(
        config: &Config,
        db: Db,
        keys: Arc<Keys>,
        jobs: tresor_jobs::Store,
        authz: Arc<Authz>,
        identity: Arc<Identity>,
        sessions: Arc<Sessions>,
    ) -> anyhow::Result<Self> {
        let relying_party =
            relying_party::build(&config.public_url, config.app_url.as_deref(), &config.settings.mfa.issuer)?;
        Ok(Self { db, keys, jobs, authz, identity, sessions, relying_party })
    }

    /// Whether passkeys are on (`TRESOR_PUBLIC_URL` names a host).
    pub fn enabled(&self) -> bool {
        self.relying_party.is_some()
    }

    pub(super) fn relying_party(&self) -> Result<&Webauthn, Error> {
        self.relying_party.as_ref().ok_or_else(unavailable)
    }

    /// Stores a ceremony's `state` sealed under a fresh token; what the start answers.
    pub(super) async fn open_ceremony(
        &self,
        purpose: &'static str,
        owner: Owner,
        state: &impl Serialize,
        options: serde_json::Value,
    ) -> Result<Ceremony, Error> {
        let id = Uuid::now_v7();
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(state).map_err(anyhow::Error::from)?);
        let sealed = aead::seal(&self.keys.encryption, &plain, &state_place(&id.to_string()));
        let (token, token_hash) = opaque::new_token();
        let ceremony = store::NewCeremony {
            id,
            token_hash: &token_hash,
            purpose,
            user_id: owner.user_id,
            session_id: owner.session_id,
            challenge_id: owner.challenge_id,
            state: &sealed,
            expires_at: time::now() + Duration::seconds(i64::try_from(CEREMONY_SECS).unwrap_or(300)),
        };
        let mut conn = self.db.writer().acquire().await?;
        store::insert(&mut conn, &ceremony).await?;
        let public_key = options.get("publicKey").cloned().unwrap_or(options);
        Ok(Ceremony { token: token.expose_secret().to_owned(), public_key, expires_in: CEREMONY_SECS })
    }

    /// Consumes the live ceremony of `purpose` that `token` names (whatever happens next, it
    /// cannot be finished twice).
    pub(super) async fn take_ceremony<S: DeserializeOwned>(
        &self,
        purpose: &'static str,
        token: &str,
    ) -> Result<Taken<S>, Error> {
        if !opaque::well_formed(token) {
            return Err(invalid_ceremony());
        }
        let mut conn = self.db.writer().acquire().await?;
        let Some(row) = store::consume(&mut conn, purpose, &opaque::hash(token)).await? else {
            return Err(invalid_ceremony());
        };
        drop(conn);
        let plain = aead::open(&self.keys.encryption, &row.state, &state_place(&row.id))
            .map_err(|e| anyhow::anyhow!("passkey_ceremonies.state of {}: {e}", row.id))?;
        let state = serde_json::from_slice(&zeroize::Zeroizing::new(plain)).map_err(anyhow::Error::from)?;
        let id = |raw: Option<String>| raw.as_deref().map(decode::uuid).transpose();
        let owner =
            Owner { user_id: id(row.user_id)?, session_id: id(row.session_id)?, challenge_id: id(row.challenge_id)? };
        Ok(Taken { owner, state })
    }

    /// Queues the owner's email about `passkey_name` in the caller's transaction.
    pub(super) async fn email_owner(
        &self,
        conn: &mut AnyConnection,
        user: &UserRow,
        template: Template,
        passkey_name: &str,
        device: &Device,
    ) -> Result<Deferred, Error> {
        let Some(to) = &user.email else { return Ok(Deferred::default()) };
        let data = json!({
            "full_name": user.full_name,
            "name": passkey_name,
            "at": emails::when(time::now()),
            "ip": device.ip,
        });
        let email = Email { to: to.clone(), template, data };
        let (_, deferred) = crate::mail::send(conn, &self.keys.encryption, &self.jobs, email).await?;
        Ok(deferred)
    }

    pub(super) async fn after_commit(&self, mail: Deferred) {
        mail.after_commit(&self.jobs).await;
    }
}
