//! Users created by someone else — the operator (`tresor admin create`) or staff
//! (`POST /v1/admin/users`, which emails the link): email already verified, roles as given, and
//! either a password or a one-time set-password token (`POST /v1/auth/invite/accept`, 72 h).

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Identity;
use crate::audit::{self, Actor, Event};
use crate::db::time;
use crate::error::Error;
use crate::events::{self, EventType, NewEvent};
use crate::identity::Role;
use crate::identity::fields::{Email, Fields, FullName};
use crate::identity::problems::{email_taken, hashing_failed};
use crate::identity::store::{self, one_time::Purpose, users::NewUser};
use crate::identity::tokens::opaque;

/// A user to create on someone else's behalf.
pub struct ProvisionedUser {
    pub email: Email,
    pub full_name: FullName,
    pub roles: Vec<Role>,
    /// Email the set-password link (staff invites); the CLI prints it instead.
    pub invite_by_email: bool,
}

pub struct Created {
    pub user_id: Uuid,
    /// The set-password link, when no password was given.
    pub invite_link: Option<SecretString>,
}

impl Identity {
    /// Creates a verified user with `password`, or with a set-password link when there is none.
    /// 409 `email-taken` when the address has an account.
    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        user: ProvisionedUser,
        password: Option<SecretString>,
        actor: &Actor,
    ) -> Result<Created, Error> {
        let hash = match &password {
            Some(password) => {
                let personal = [user.email.as_str(), user.full_name.as_str()];
                let problems = self.password_problems(password, &personal);
                if !problems.is_empty() {
                    let mut fields = Fields::default();
                    problems.into_iter().for_each(|p| fields.add("password", p));
                    fields.finish()?;
                }
                Some(self.hasher.hash(password.clone()).await.map_err(hashing_failed)?)
            }
            None => None,
        };
        let mut roles = user.roles.clone();
        if roles.is_empty() {
            roles.push(Role::Customer);
        }
        roles.sort();
        roles.dedup();
        let user_id = Uuid::now_v7();
        let row = NewUser::verified(user_id, user.email.as_str().to_owned(), user.full_name.as_str().to_owned(), hash);
        let mut tx = self.db.begin().await?;
        if store::users::find_by_email(&mut *tx, user.email.as_str()).await?.is_some() {
            return Err(email_taken());
        }
        store::users::insert(&mut tx, &row, &roles)
            .await
            .map_err(|e| if store::is_unique_violation(&e) { email_taken() } else { Error::from(e) })?;
        let mut mail = Deferred::default();
        let invite_link = if password.is_none() {
            let hours = self.settings.invite_hours;
            let (token, token_hash) = opaque::new_token();
            let expires = time::now() + Duration::hours(i64::try_from(hours).unwrap_or(72));
            store::one_time::insert(&mut tx, user_id, Purpose::Invite, &token_hash, expires).await?;
            let link = self.emails.link("accept-invite", token.expose_secret());
            if user.invite_by_email {
                let data = json!({"full_name": user.full_name.as_str(), "link": link, "expires_in_hours": hours});
                mail = self.emails.send(&mut tx, user.email.as_str(), Template::Invite, data).await?;
            }
            Some(SecretString::from(link))
        } else {
            None
        };
        let role_names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        let event = Event {
            action: "user.created",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: None,
            new: Some(json!({"roles": role_names, "status": store::users::ACTIVE, "password_set": password.is_some()})),
        };
        audit::record(&mut tx, actor, event).await?;
        let data = json!({"user_id": user_id, "status": store::users::ACTIVE, "invited": password.is_none()});
        events::record(&mut tx, NewEvent::new(EventType::UserRegistered, ("user", user_id), Some(user_id), data))
            .await?;
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        Ok(Created { user_id, invite_link })
    }

    /// How long a set-password link of a created user stays valid, in hours.
    pub fn invite_hours(&self) -> u64 {
        self.settings.invite_hours
    }
}
