//! Password forgot / reset, invite acceptance and password change. Every way of setting a
//! password ends other sessions and tells the owner by email.

use actix_web::web;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::logout::revoke_sessions;
use super::{Device, emails, hashing_failed, invalid_token};
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::fields::Fields;
use crate::identity::store::{self, one_time::Purpose, users::UserRow};
use crate::identity::tokens::opaque;
use crate::state::AppState;

/// Checks a new password against the policy and the user's own email and name.
pub fn check_new_password(
    state: &AppState,
    field: &str,
    password: &SecretString,
    user: &UserRow,
) -> Result<(), Problem> {
    let personal = [user.email.as_deref().unwrap_or_default(), user.full_name.as_str()];
    let mut fields = Fields::default();
    for problem in state.identity.policy.problems(password.expose_secret(), &personal) {
        fields.add(field, problem);
    }
    fields.finish()
}

/// Mails a reset link when the address has an account. The caller answers 202 either way
/// and does not wait: the work happens after the answer, so its timing tells nothing.
#[tracing::instrument(skip_all)]
pub async fn forgot(state: &AppState, email: &str, device: &Device) -> Result<(), ApiError> {
    let Some(user) = store::users::find_by_email(state.db.reader(), email).await? else { return Ok(()) };
    if user.is_deleted() {
        return Ok(());
    }
    let user_id = user.uuid()?;
    let minutes = state.config.settings.identity.password_reset_minutes;
    let (token, hash) = opaque::new_token();
    let mut tx = state.db.begin().await?;
    store::one_time::retire(&mut tx, user_id, Purpose::PasswordReset).await?;
    let expires = time::now() + Duration::minutes(i64::try_from(minutes).unwrap_or(30));
    store::one_time::insert(&mut tx, user_id, Purpose::PasswordReset, &hash, expires).await?;
    let event = audit_event("user.password_reset_requested", user_id, None);
    audit::append(&mut tx, state.db.dialect(), &device.actor(None), event).await?;
    let data = json!({
        "link": emails::link(state, "reset-password", token.expose_secret()),
        "full_name": user.full_name,
        "expires_in_minutes": minutes,
        "ip": device.ip,
    });
    emails::send(&mut tx, state, email, Template::PasswordReset, data).await?;
    tx.commit().await?;
    Ok(())
}

fn audit_event(action: &'static str, user_id: Uuid, new: Option<serde_json::Value>) -> Event {
    Event { action, target_type: "user", target_id: Some(user_id.to_string()), old: None, new }
}

/// Sets a password with a one-time token (`password_reset` or `invite`): every session ends,
/// any lockout is lifted (the emailed link proves ownership), the email counts as verified.
#[tracing::instrument(skip_all, fields(purpose = purpose.name()))]
pub async fn set_with_token(
    state: &AppState,
    purpose: Purpose,
    token: &str,
    password: SecretString,
    device: &Device,
) -> Result<(), ApiError> {
    let what = if purpose == Purpose::Invite { "invitation link" } else { "password reset link" };
    if !opaque::well_formed(token) {
        return Err(invalid_token(what));
    }
    let hash = opaque::hash(token);
    let user_id = store::one_time::peek(state.db.reader(), purpose, &hash).await?.ok_or_else(|| invalid_token(what))?;
    let user = store::users::find(state.db.reader(), user_id).await?.ok_or_else(|| invalid_token(what))?;
    let field = if purpose == Purpose::Invite { "password" } else { "new_password" };
    check_new_password(state, field, &password, &user)?;
    let password_hash = state.identity.hasher.hash(password).await.map_err(hashing_failed)?;
    let mut tx = state.db.begin().await?;
    if store::one_time::consume(&mut tx, purpose, &hash).await? != Some(user_id) {
        return Err(invalid_token(what));
    }
    store::users::set_password(&mut tx, user_id, &password_hash).await?;
    store::users::mark_verified(&mut tx, user_id).await?;
    store::lockout::lift(&mut tx, user_id).await?;
    let revoked = store::sessions::revoke_all(&mut tx, user_id, None, purpose.name()).await?;
    let action = if purpose == Purpose::Invite { "user.invite_accepted" } else { "user.password_reset" };
    let event = audit_event(action, user_id, Some(json!({"password": "[changed]", "revoked_sessions": revoked.len()})));
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user_id)), event).await?;
    if purpose == Purpose::PasswordReset
        && let Some(email) = &user.email
    {
        let data = json!({"full_name": user.full_name, "at": emails::when(time::now()), "ip": device.ip});
        emails::send(&mut tx, state, email, Template::PasswordChanged, data).await?;
    }
    tx.commit().await?;
    revoke_sessions(state, &revoked).await
}

/// Changes the signed-in user's password; their other sessions end.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn change(
    state: &web::Data<AppState>,
    user_id: Uuid,
    session_id: Uuid,
    current: SecretString,
    new: SecretString,
    device: &Device,
) -> Result<(), ApiError> {
    let user = store::users::find(state.db.reader(), user_id).await?.ok_or_else(|| Problem::not_found("the user"))?;
    check_new_password(state, "new_password", &new, &user)?;
    super::credentials::confirm_password(state, &user, current, device).await?;
    let password_hash = state.identity.hasher.hash(new).await.map_err(hashing_failed)?;
    let mut tx = state.db.begin().await?;
    store::users::set_password(&mut tx, user_id, &password_hash).await?;
    let revoked = store::sessions::revoke_all(&mut tx, user_id, Some(session_id), "password_changed").await?;
    let event = audit_event(
        "user.password_changed",
        user_id,
        Some(json!({"password": "[changed]", "revoked_sessions": revoked.len()})),
    );
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user_id)), event).await?;
    if let Some(email) = &user.email {
        let data = json!({"full_name": user.full_name, "at": emails::when(time::now()), "ip": device.ip});
        emails::send(&mut tx, state, email, Template::PasswordChanged, data).await?;
    }
    tx.commit().await?;
    revoke_sessions(state, &revoked).await
}
