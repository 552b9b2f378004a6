//! From a verified provider identity to a user. Never by email alone:
//! - a subject linked before signs its user in;
//! - a signed-in user who started the flow gets the subject linked to them;
//! - an address with no account opens one, verified — only when the provider says
//!   `email_verified`;
//! - an address that has an account is linked only when the provider says `email_verified`
//!   *and* the user proves the local password once (`complete_link`); otherwise refused.
//!
//! Staff rules are unchanged: a user with MFA on gets the MFA step, and a session opened here
//! has `mfa: false`.

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use super::problems::{already_linked, email_missing, email_unverified, link_refused};
use super::providers::Provider;
use super::service::Federation;
use super::store;
use super::{Asserted, SignIn};
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::Error;
use crate::identity::fields::Email;
use crate::identity::problems::invalid_credentials;
use crate::identity::store::users::{self as users, NewUser, UserRow};
use crate::identity::tokens::opaque;
use crate::identity::{Device, Role, SessionStart};

/// Longest full name taken from a provider.
const MAX_NAME: usize = 200;

pub(super) fn linked_event(user_id: Uuid, asserted: &Asserted, how: &str) -> Event {
    Event {
        action: "identity.linked",
        target_type: "user",
        target_id: Some(user_id.to_string()),
        old: None,
        new: Some(json!({"provider": asserted.provider, "linked_by": how})),
    }
}

impl Federation {
    pub(super) async fn resolve(
        &self,
        provider: &Provider,
        asserted: Asserted,
        link_user: Option<Uuid>,
        redirect_to: String,
        device: &Device,
    ) -> Result<SignIn, Error> {
        if let Some(found) = store::find_identity(self.db.reader(), &asserted.provider, &asserted.subject).await? {
            let user_id = crate::db::decode::uuid(&found.user_id)?;
            if link_user.is_some_and(|u| u != user_id) {
                return Err(already_linked());
            }
            store::touch_identity(&mut *self.db.writer().acquire().await?, &found.id).await?;
            if link_user.is_some() {
                return Ok(SignIn::Linked { redirect_to });
            }
            return self.sign_in(user_id, &asserted.provider, device, redirect_to).await;
        }
        if let Some(user_id) = link_user {
            let mut tx = self.db.begin().await?;
            self.link(&mut tx, user_id, &asserted).await?;
            audit::record(&mut tx, &device.actor(Some(user_id)), linked_event(user_id, &asserted, "signed_in")).await?;
            tx.commit().await?;
            return Ok(SignIn::Linked { redirect_to });
        }
        let email = asserted.email.as_deref().map(Email::parse).and_then(Result::ok).ok_or_else(email_missing)?;
        match users::find_by_email(self.db.reader(), email.as_str()).await? {
            Some(user) if !user.is_deleted() => {
                if !asserted.email_verified {
                    tracing::info!(provider = %provider.name, "link refused: the provider does not vouch for the address");
                    return Err(link_refused());
                }
                self.pending_link(&user, &asserted, &email, redirect_to, device).await
            }
            Some(_) => Err(invalid_credentials()),
            None if !asserted.email_verified => Err(email_unverified()),
            None => {
                let user_id = self.open_account(&asserted, &email, device).await?;
                self.sign_in(user_id, &asserted.provider, device, redirect_to).await
            }
        }
    }

    /// Links on `tx`; 409 when the subject is another user's (a concurrent link won).
    pub(super) async fn link(
        &self,
        tx: &mut sqlx::AnyConnection,
        user_id: Uuid,
        asserted: &Asserted,
    ) -> Result<(), Error> {
        let email = asserted.email.as_deref();
        store::insert_identity(tx, user_id, &asserted.provider, &asserted.subject, email).await.map_err(|e| {
            if crate::identity::store::is_unique_violation(&e) { already_linked() } else { Error::from(e) }
        })?;
        Ok(())
    }

    /// A new verified account for a provider identity, in one transaction with its link.
    async fn open_account(&self, asserted: &Asserted, email: &Email, device: &Device) -> Result<Uuid, Error> {
        let user_id = Uuid::now_v7();
        let local = email.as_str().split('@').next().unwrap_or("user");
        let full_name: String =
            asserted.name.as_deref().unwrap_or(local).chars().filter(|c| !c.is_control()).take(MAX_NAME).collect();
        let row = NewUser::verified(user_id, email.as_str().to_owned(), full_name, None);
        let mut tx = self.db.begin().await?;
        // A concurrent registration of the address wins; this sign-in is refused like a taken one.
        users::insert(&mut tx, &row, &[Role::Customer]).await.map_err(|e| {
            if crate::identity::store::is_unique_violation(&e) { link_refused() } else { Error::from(e) }
        })?;
        self.link(&mut tx, user_id, asserted).await?;
        let created = Event {
            action: "user.created",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: None,
            new: Some(
                json!({"roles": ["customer"], "status": users::ACTIVE, "via": format!("oidc:{}", asserted.provider)}),
            ),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), created).await?;
        audit::record(&mut tx, &device.actor(Some(user_id)), linked_event(user_id, asserted, "new_account")).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// A link waiting for the local password: its token, answered once.
    async fn pending_link(
        &self,
        user: &UserRow,
        asserted: &Asserted,
        email: &Email,
        redirect_to: String,
        device: &Device,
    ) -> Result<SignIn, Error> {
        let (token, token_hash) = opaque::new_token();
        let expires_at = time::now() + Duration::minutes(i64::try_from(self.link_minutes).unwrap_or(10));
        let link = store::NewPendingLink {
            token_hash: &token_hash,
            user_id: user.uuid()?,
            provider: &asserted.provider,
            subject: &asserted.subject,
            email: email.as_str(),
            redirect_to: &redirect_to,
            device,
            expires_at,
        };
        store::insert_pending_link(&mut *self.db.writer().acquire().await?, &link).await?;
        Ok(SignIn::LinkRequired {
            link_token: SecretString::from(token.expose_secret().to_owned()),
            expires_in: self.link_minutes * 60,
            redirect_to,
        })
    }

    /// Signs a user in through a provider: the MFA step when MFA is on, else a session.
    pub(super) async fn sign_in(
        &self,
        user_id: Uuid,
        provider: &str,
        device: &Device,
        redirect_to: String,
    ) -> Result<SignIn, Error> {
        let user = users::find(self.db.reader(), user_id).await?;
        let Some(user) = user.filter(|u| !u.is_deleted() && u.staff_locked_at.is_none()) else {
            return Err(invalid_credentials());
        };
        if let Some(until) = crate::db::decode::opt_time(user.locked_until.clone())?
            && until > time::now()
        {
            return Err(invalid_credentials());
        }
        let via = format!("oidc:{provider}");
        if !users::second_factors(self.db.reader(), user_id).await?.is_empty() {
            let challenge = self.sessions.mfa_challenge(user_id, device, false, Some(&via)).await?;
            return Ok(SignIn::Mfa { challenge, redirect_to });
        }
        let email = user.email.clone().unwrap_or_default();
        let pair = self
            .sessions
            .start_session_via(user_id, &email, device, SessionStart { mfa: false, remember: false }, Some(&via))
            .await?;
        Ok(SignIn::Session { pair, redirect_to })
    }
}
