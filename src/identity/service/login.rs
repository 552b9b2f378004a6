//! Password sign-in. Unknown email, wrong password and locked account all answer 401
//! `invalid-credentials` after the same work (an unknown email is checked against a dummy hash);
//! the lockout counter is reserved before verifying (see `store::lockout`).

use actix_web::web;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use uuid::Uuid;

use super::failures::{failed, wrong_password};
use super::{Device, TokenPair, hashing_failed, invalid_credentials, start_session};
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::fields::Email;
use crate::identity::password::Verified;
use crate::identity::store;
use crate::identity::store::lockout::{self, Attempt};
use crate::identity::tokens::opaque;
use crate::state::AppState;

/// What a correct password leads to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(TokenPair),
    /// MFA is on: exchange `mfa_token` and a code at `POST /v1/auth/mfa`.
    MfaRequired(MfaChallenge),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MfaChallenge {
    pub mfa_required: bool,
    pub mfa_token: String,
    pub expires_in: u64,
}

#[tracing::instrument(skip_all)]
pub async fn login(
    state: &web::Data<AppState>,
    email: &Email,
    password: SecretString,
    device: &Device,
) -> Result<LoginOutcome, ApiError> {
    // Every failure costs one read, one commit and one hash, whichever it is, so neither the
    // answer nor its timing tells an unknown email from a wrong password or a locked account.
    let settings = &state.config.settings.identity;
    let found = store::users::find_by_email(state.db.reader(), email.as_str()).await?;
    let user = match found {
        Some(user) if !user.is_deleted() && user.password_hash.is_some() => user,
        _ => {
            failed(state, None, email, device, "unknown_email").await?;
            state.identity.hasher.verify(password, None).await.map_err(hashing_failed)?;
            return Err(invalid_credentials());
        }
    };
    let user_id = user.uuid()?;
    if user.staff_locked_at.is_some() {
        failed(state, Some(user_id), email, device, "locked_by_staff").await?;
        state.identity.hasher.verify(password, None).await.map_err(hashing_failed)?;
        return Err(invalid_credentials());
    }
    if let Some(until) = store::opt_time(user.locked_until.clone())?
        && until <= time::now()
    {
        crate::identity::maintenance::expire_lockouts_of(&state.db, time::now(), Some(user_id)).await?;
    }
    let lock_until =
        time::now() + lockout::duration(user.lockouts, settings.lockout_minutes, settings.lockout_max_hours);
    let mut writer = state.db.writer().acquire().await?;
    let attempt = lockout::reserve(&mut writer, user_id, settings.lockout_threshold, lock_until).await?;
    drop(writer);
    let Attempt::Reserved(n) = attempt else {
        failed(state, Some(user_id), email, device, "locked").await?;
        state.identity.hasher.verify(password, None).await.map_err(hashing_failed)?;
        return Err(invalid_credentials());
    };
    let verified =
        state.identity.hasher.verify(password.clone(), user.password_hash.clone()).await.map_err(hashing_failed)?;
    if verified == Verified::Wrong {
        // Recorded after answering: the lock (if this was the last try) is already in place.
        let (state, user, email, device) = (state.clone(), user.clone(), email.clone(), device.clone());
        actix_web::rt::spawn(async move {
            if let Err(error) = wrong_password(&state, &user, &email, &device, n).await {
                tracing::error!(error = ?error, "recording a failed sign-in");
            }
        });
        return Err(invalid_credentials());
    }
    let mut writer = state.db.writer().acquire().await?;
    let still_open = lockout::succeeded(&mut writer, user_id, n, settings.lockout_threshold).await?;
    drop(writer);
    if !still_open {
        failed(state, Some(user_id), email, device, "locked").await?;
        return Err(invalid_credentials());
    }
    if verified == Verified::CorrectNeedsRehash {
        let hash = state.identity.hasher.hash(password).await.map_err(hashing_failed)?;
        store::users::set_password(&mut *state.db.writer().acquire().await?, user_id, &hash).await?;
    }
    if user.email_verified_at.is_none() {
        return Err(Problem::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "email-unverified",
            "confirm your email address with the link we sent before signing in",
        )
        .into());
    }
    if user.mfa_enabled != 0 {
        return mfa_challenge(state, user_id, device).await.map(LoginOutcome::MfaRequired);
    }
    start_session(state, user_id, email.as_str(), device, false).await.map(LoginOutcome::Tokens)
}

async fn mfa_challenge(state: &AppState, user_id: Uuid, device: &Device) -> Result<MfaChallenge, ApiError> {
    let minutes = state.config.settings.identity.mfa_token_minutes;
    let (token, hash) = opaque::new_token();
    let expires = time::now() + Duration::minutes(i64::try_from(minutes).unwrap_or(5));
    let mut conn = state.db.writer().acquire().await?;
    store::one_time::insert_mfa_challenge(&mut conn, user_id, &hash, device, expires).await?;
    Ok(MfaChallenge { mfa_required: true, mfa_token: token.expose_secret().to_owned(), expires_in: minutes * 60 })
}
