//! [`Mfa`]: the MFA capability and what its flows share — opening a user's sealed secret,
//! checking a second factor with the replay rule (a TOTP step is accepted once; a backup code
//! is used up atomically), new backup sets and the emails. The flows are in `enrolment` and
//! `sign_in`; each does its work in one transaction with its audit entry and email.

use std::sync::Arc;

use chrono::Utc;
use secrecy::SecretBox;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::error::MfaError;
use super::{backup, store, totp};
use crate::audit::Event;
use crate::authz::Authz;
use crate::config::{MfaRequiredFor, MfaSettings};
use crate::crypto::{Keys, aead};
use crate::db::Db;
use crate::identity::store::users::UserRow;
use crate::identity::{Identity, Sessions};
use crate::passkeys::Passkeys;

/// A second factor as presented.
pub enum Proof {
    /// Six digits from the authenticator.
    Totp(String),
    /// One of the backup codes.
    Backup(String),
}

/// Which factor checked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Used {
    Totp,
    Backup { left: i64 },
}

impl Used {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Backup { .. } => "backup_code",
        }
    }
}

/// What `POST /v1/mfa/totp/setup` answers.
pub struct Setup {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_png_base64: String,
}

/// TOTP enrolment, backup codes, step-up and the second step of sign-in.
pub struct Mfa {
    pub(super) db: Db,
    pub(super) keys: Arc<Keys>,
    pub(super) jobs: tresor_jobs::Store,
    /// Told when a user's MFA enrolment changes (staff permissions depend on it).
    pub(super) authz: Arc<Authz>,
    /// `[mfa] issuer`: shown by authenticator apps.
    pub(super) issuer: String,
    /// `[mfa] max_failed_codes`: wrong codes one sign-in may take.
    pub(super) max_failed_codes: u32,
    /// Users: who is live, and their emails.
    pub(super) identity: Arc<Identity>,
    /// Re-checking a password (disabling MFA) and opening a session (the sign-in step).
    pub(super) sessions: Arc<Sessions>,
    /// `[mfa] required_for`.
    pub(super) required_for: MfaRequiredFor,
    /// A passkey as the second step of sign-in.
    pub(super) passkeys: Arc<Passkeys>,
}

impl std::fmt::Debug for Mfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mfa").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

fn place(user_id: Uuid) -> String {
    aead::associated_data("mfa_totp", "secret", &user_id.to_string())
}

fn now_unix() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

pub(super) fn event(action: &'static str, user_id: Uuid, new: serde_json::Value) -> Event {
    Event { action, target_type: "user", target_id: Some(user_id.to_string()), old: None, new: Some(new) }
}

/// The capabilities MFA works with: users, sessions and passkeys.
pub struct Collaborators {
    pub identity: Arc<Identity>,
    pub sessions: Arc<Sessions>,
    pub passkeys: Arc<Passkeys>,
}

impl Mfa {
    pub fn new(
        db: Db,
        keys: Arc<Keys>,
        jobs: tresor_jobs::Store,
        authz: Arc<Authz>,
        settings: &MfaSettings,
        with: Collaborators,
    ) -> Self {
        let (issuer, max_failed_codes) = (settings.issuer.clone(), settings.max_failed_codes);
        let required_for = settings.required_for;
        let Collaborators { identity, sessions, passkeys } = with;
        Self { db, keys, jobs, authz, issuer, max_failed_codes, identity, sessions, required_for, passkeys }
    }

    /// The live (not deleted) user.
    pub(super) async fn live_user(&self, user_id: Uuid) -> Result<UserRow, MfaError> {
        Ok(self.identity.live_user(user_id).await?)
    }

    pub(super) fn seal_secret(&self, user_id: Uuid, secret: &totp::TotpSecret) -> String {
        aead::seal(&self.keys.encryption, secrecy::ExposeSecret::expose_secret(secret), &place(user_id))
    }

    fn open_secret(&self, user_id: Uuid, sealed: &str) -> Result<totp::TotpSecret, MfaError> {
        let bytes = aead::open(&self.keys.encryption, sealed, &place(user_id))
            .map_err(|e| anyhow::anyhow!("mfa_totp.secret of {user_id}: {e}"))?;
        Ok(SecretBox::new(Box::new(bytes)))
    }

    /// Queues an email in the caller's transaction. The delivery job joins it on the database
    /// queue; on Redis it comes back deferred, for [`Mfa::after_commit`].
    pub(super) async fn email(
        &self,
        conn: &mut sqlx::AnyConnection,
        to: &str,
        template: Template,
        data: serde_json::Value,
    ) -> Result<Deferred, MfaError> {
        let email = Email { to: to.to_owned(), template, data };
        let (_, deferred) = crate::mail::send(conn, &self.keys.encryption, &self.jobs, email).await?;
        Ok(deferred)
    }

    /// Pushes the delivery jobs of committed emails (Redis queue; nothing on the database queue).
    pub(super) async fn after_commit(&self, mail: Deferred) {
        mail.after_commit(&self.jobs).await;
    }

    /// Checks `proof` for `user`, using it up (TOTP step recorded, backup code spent) on `tx`,
    /// with the email it queued (a backup code used) to push after the commit.
    /// `None` when it is wrong or was used before. With `need_active` false, a pending
    /// authenticator counts (enabling MFA proves the authenticator, not a code list).
    pub(super) async fn verify(
        &self,
        tx: &mut sqlx::AnyConnection,
        user: &UserRow,
        proof: &Proof,
        need_active: bool,
    ) -> Result<Option<(Used, Deferred)>, MfaError> {
        let user_id = user.uuid()?;
        let Some(row) = store::find_totp(&mut *tx, user_id).await? else { return Err(MfaError::NoAuthenticator) };
        if need_active && row.status != store::ACTIVE {
            return Err(MfaError::NotEnabled);
        }
        match proof {
            Proof::Totp(code) => {
                let secret = self.open_secret(user_id, &row.secret)?;
                let Some(step) = totp::matching_step(&secret, code, now_unix(), row.last_step)? else {
                    return Ok(None);
                };
                // Conditional: of two requests with the same code, one wins.
                let accepted = store::accept_step(tx, user_id, step).await?;
                Ok(accepted.then(|| (Used::Totp, Deferred::default())))
            }
            Proof::Backup(code) => {
                let candidates = backup::candidates(&self.keys.mac, &user.id, code);
                let Some(left) = store::use_backup_code(&mut *tx, user_id, &candidates).await? else {
                    return Ok(None);
                };
                let mut mail = Deferred::default();
                if let Some(email) = &user.email {
                    let data = json!({"full_name": user.full_name, "remaining": left});
                    mail = self.email(tx, email, Template::BackupCodeUsed, data).await?;
                }
                Ok(Some((Used::Backup { left }, mail)))
            }
        }
    }

    /// A fresh backup set: the codes to show once, their hashes stored on `tx`.
    pub(super) async fn new_backup_set(
        &self,
        tx: &mut sqlx::AnyConnection,
        user: &UserRow,
    ) -> Result<Vec<String>, MfaError> {
        let codes = backup::generate();
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|c| backup::normalize(c))
            .map(|c| backup::hash(&self.keys.mac, &user.id, &c))
            .collect();
        store::replace_backup_codes(tx, user.uuid()?, &hashes).await?;
        Ok(codes)
    }
}
