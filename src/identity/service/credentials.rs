//! Re-checking the password of a signed-in user (password change, account deletion). The same
//! atomic lockout counting as sign-in applies: a stolen access token cannot be used to guess
//! the password either.

use actix_web::http::StatusCode;
use actix_web::web;
use secrecy::SecretString;

use super::failures::wrong_password;
use super::{Device, hashing_failed};
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::fields::Email;
use crate::identity::password::Verified;
use crate::identity::store::lockout::{self, Attempt};
use crate::identity::store::users::UserRow;
use crate::state::AppState;

fn refused() -> ApiError {
    Problem::new(StatusCode::FORBIDDEN, "invalid-credentials", "the current password is not correct").into()
}

/// `Ok` when `password` is the user's; 403 `invalid-credentials` when it is not or the account
/// is locked.
pub async fn confirm_password(
    state: &web::Data<AppState>,
    user: &UserRow,
    password: SecretString,
    device: &Device,
) -> Result<(), ApiError> {
    let settings = &state.config.settings.identity;
    let user_id = user.uuid()?;
    let lock_until =
        time::now() + lockout::duration(user.lockouts, settings.lockout_minutes, settings.lockout_max_hours);
    let mut writer = state.db.writer().acquire().await?;
    let attempt = lockout::reserve(&mut writer, user_id, settings.lockout_threshold, lock_until).await?;
    drop(writer);
    let Attempt::Reserved(n) = attempt else { return Err(refused()) };
    let verified = state.identity.hasher.verify(password, user.password_hash.clone()).await.map_err(hashing_failed)?;
    if verified == Verified::Wrong {
        let email = user.email.as_deref().map(Email::parse).and_then(Result::ok);
        if let Some(email) = email {
            wrong_password(state, user, &email, device, n).await?;
        }
        return Err(refused());
    }
    let mut writer = state.db.writer().acquire().await?;
    if !lockout::succeeded(&mut writer, user_id, n, settings.lockout_threshold).await? {
        return Err(refused());
    }
    Ok(())
}
