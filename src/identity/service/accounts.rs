//! Accounts created by someone else — the operator (`tresor admin create`) now, staff
//! (`POST /v1/admin/users`, which emails the link): email already verified, roles as given, and either a
//! password or a one-time set-password token (`POST /v1/auth/invite/accept`, 72 h).

use actix_web::http::StatusCode;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use super::{emails, hashing_failed};
use crate::audit::{self, Actor, Event};
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::Role;
use crate::identity::fields::{Email, FullName};
use crate::identity::store::{self, one_time::Purpose, users::NewUser};
use crate::identity::tokens::opaque;
use crate::state::AppState;

pub struct NewAccount {
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

pub fn email_taken() -> ApiError {
    Problem::new(StatusCode::CONFLICT, "email-taken", "a user with this email address already exists").into()
}

#[tracing::instrument(skip_all)]
pub async fn create(
    state: &AppState,
    account: NewAccount,
    password: Option<SecretString>,
    actor: &Actor,
) -> Result<Created, ApiError> {
    let hash = match &password {
        Some(password) => {
            let personal = [account.email.as_str(), account.full_name.as_str()];
            let problems = state.identity.policy.problems(password.expose_secret(), &personal);
            if !problems.is_empty() {
                let mut fields = crate::identity::fields::Fields::default();
                problems.into_iter().for_each(|p| fields.add("password", p));
                fields.finish()?;
            }
            Some(state.identity.hasher.hash(password.clone()).await.map_err(hashing_failed)?)
        }
        None => None,
    };
    let mut roles = account.roles.clone();
    if roles.is_empty() {
        roles.push(Role::Customer);
    }
    roles.sort();
    roles.dedup();
    let user_id = Uuid::now_v7();
    let user = NewUser {
        id: user_id,
        email: account.email.as_str().to_owned(),
        full_name: account.full_name.as_str().to_owned(),
        password_hash: hash,
        status: store::users::ACTIVE,
        email_verified: true,
        phone: None,
        date_of_birth: None,
        ssn: None,
        ssn_index: None,
        address: None,
    };
    let mut tx = state.db.begin().await?;
    if store::users::find_by_email(&mut *tx, account.email.as_str()).await?.is_some() {
        return Err(email_taken());
    }
    store::users::insert(&mut tx, &user, &roles)
        .await
        .map_err(|e| if store::is_unique_violation(&e) { email_taken() } else { ApiError::from(e) })?;
    let invite_link = if password.is_none() {
        let hours = state.config.settings.identity.invite_hours;
        let (token, token_hash) = opaque::new_token();
        let expires = time::now() + Duration::hours(i64::try_from(hours).unwrap_or(72));
        store::one_time::insert(&mut tx, user_id, Purpose::Invite, &token_hash, expires).await?;
        let link = emails::link(state, "accept-invite", token.expose_secret());
        if account.invite_by_email {
            let data = json!({"full_name": account.full_name.as_str(), "link": link, "expires_in_hours": hours});
            emails::send(&mut tx, state, account.email.as_str(), tresor_jobs::email::Template::Invite, data).await?;
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
    audit::append(&mut tx, state.db.dialect(), actor, event).await?;
    tx.commit().await?;
    Ok(Created { user_id, invite_link })
}
