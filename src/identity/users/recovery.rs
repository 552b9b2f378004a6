//! Password forgot / reset and invite acceptance: setting a password with an emailed one-time
//! token. Every way of setting a password ends other sessions and tells the owner by email.

use std::sync::Arc;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Identity;
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::Error;
use crate::identity::Device;
use crate::identity::emails::when;
use crate::identity::fields::Email;
use crate::identity::problems::{hashing_failed, invalid_token};
use crate::identity::store::{self, one_time::Purpose};
use crate::identity::tokens::opaque;

pub(super) fn audit_event(action: &'static str, user_id: Uuid, new: Option<serde_json::Value>) -> Event {
    Event { action, target_type: "user", target_id: Some(user_id.to_string()), old: None, new }
}

impl Identity {
    /// Mails a reset link when the address has an account. Returns at once: the work happens
    /// after the caller has answered, so neither the answer nor its timing tells anything.
    pub fn request_password_reset(self: &Arc<Self>, email: Email, device: Device) {
        let identity = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(error) = identity.forgot(email.as_str(), &device).await {
                tracing::error!(error = ?error, "password reset request failed");
            }
        });
    }

    #[tracing::instrument(skip_all)]
    async fn forgot(&self, email: &str, device: &Device) -> Result<(), Error> {
        let Some(user) = store::users::find_by_email(self.db.reader(), email).await? else { return Ok(()) };
        if user.is_deleted() {
            return Ok(());
        }
        let user_id = user.uuid()?;
        let minutes = self.settings.password_reset_minutes;
        let (token, hash) = opaque::new_token();
        let mut tx = self.db.begin().await?;
        store::one_time::retire(&mut tx, user_id, Purpose::PasswordReset).await?;
        let expires = time::now() + Duration::minutes(i64::try_from(minutes).unwrap_or(30));
        store::one_time::insert(&mut tx, user_id, Purpose::PasswordReset, &hash, expires).await?;
        let event = audit_event("user.password_reset_requested", user_id, None);
        audit::record(&mut tx, &device.actor(None), event).await?;
        let data = json!({
            "link": self.emails.link("reset-password", token.expose_secret()),
            "full_name": user.full_name,
            "expires_in_minutes": minutes,
            "ip": device.ip,
        });
        let mail = self.emails.send(&mut tx, email, Template::PasswordReset, data).await?;
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        Ok(())
    }

    /// Sets a new password with the token of a reset link (`POST /v1/auth/password/reset`).
    pub async fn reset_password(&self, token: &str, password: SecretString, device: &Device) -> Result<(), Error> {
        self.set_password_with_token(Purpose::PasswordReset, token, password, device).await
    }

    /// Sets the first password with the token of an invitation (`POST /v1/auth/invite/accept`).
    pub async fn accept_invite(&self, token: &str, password: SecretString, device: &Device) -> Result<(), Error> {
        self.set_password_with_token(Purpose::Invite, token, password, device).await
    }

    /// Sets a password with a one-time token (`password_reset` or `invite`): every session ends,
    /// any lockout is lifted (the emailed link proves ownership), the email counts as verified.
    #[tracing::instrument(skip_all, fields(purpose = purpose.name()))]
    async fn set_password_with_token(
        &self,
        purpose: Purpose,
        token: &str,
        password: SecretString,
        device: &Device,
    ) -> Result<(), Error> {
        let what = if purpose == Purpose::Invite { "invitation link" } else { "password reset link" };
        if !opaque::well_formed(token) {
            return Err(invalid_token(what));
        }
        let hash = opaque::hash(token);
        let user_id =
            store::one_time::peek(self.db.reader(), purpose, &hash).await?.ok_or_else(|| invalid_token(what))?;
        let user = store::users::find(self.db.reader(), user_id).await?.ok_or_else(|| invalid_token(what))?;
        let field = if purpose == Purpose::Invite { "password" } else { "new_password" };
        self.check_new_password(field, &password, &user)?;
        let password_hash = self.hasher.hash(password).await.map_err(hashing_failed)?;
        let mut tx = self.db.begin().await?;
        if store::one_time::consume(&mut tx, purpose, &hash).await? != Some(user_id) {
            return Err(invalid_token(what));
        }
        store::users::set_password(&mut tx, user_id, &password_hash).await?;
        store::users::mark_verified(&mut tx, user_id).await?;
        store::lockout::lift(&mut tx, user_id).await?;
        let revoked = store::sessions::revoke_all(&mut tx, user_id, None, purpose.name()).await?;
        let action = if purpose == Purpose::Invite { "user.invite_accepted" } else { "user.password_reset" };
        let event =
            audit_event(action, user_id, Some(json!({"password": "[changed]", "revoked_sessions": revoked.len()})));
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        let mut mail = Deferred::default();
        if purpose == Purpose::PasswordReset
            && let Some(email) = &user.email
        {
            let data = json!({"full_name": user.full_name, "at": when(time::now()), "ip": device.ip});
            mail = self.emails.send(&mut tx, email, Template::PasswordChanged, data).await?;
        }
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        self.sessions.announce_revoked(&revoked).await
    }
}
