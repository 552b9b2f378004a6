//! Email verification: the token sent at registration, and its use.

use chrono::Duration;
use secrecy::ExposeSecret;
use serde_json::json;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::{Device, emails};
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::ApiError;
use crate::identity::store::{self, one_time::Purpose};
use crate::identity::tokens::opaque;
use crate::state::AppState;

/// Issues a verification token and queues its email (retiring earlier ones).
pub async fn send_verification(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    user_id: Uuid,
    email: &str,
    full_name: &str,
) -> Result<(), ApiError> {
    let hours = state.config.settings.identity.email_verification_hours;
    let (token, hash) = opaque::new_token();
    store::one_time::retire(conn, user_id, Purpose::VerifyEmail).await?;
    let expires = time::now() + Duration::hours(i64::try_from(hours).unwrap_or(24));
    store::one_time::insert(conn, user_id, Purpose::VerifyEmail, &hash, expires).await?;
    let data = json!({
        "link": emails::link(state, "verify-email", token.expose_secret()),
        "full_name": full_name,
        "expires_in_hours": hours,
    });
    emails::send(conn, state, email, Template::VerifyEmail, data).await?;
    Ok(())
}

/// Consumes a verification token: the email is verified and the account active.
#[tracing::instrument(skip_all)]
pub async fn verify_email(state: &AppState, token: &str, device: &Device) -> Result<(), ApiError> {
    if !opaque::well_formed(token) {
        return Err(super::invalid_token("verification link"));
    }
    let mut tx = state.db.begin().await?;
    let Some(user_id) = store::one_time::consume(&mut tx, Purpose::VerifyEmail, &opaque::hash(token)).await? else {
        return Err(super::invalid_token("verification link"));
    };
    store::users::mark_verified(&mut tx, user_id).await?;
    let event = Event {
        action: "user.email_verified",
        target_type: "user",
        target_id: Some(user_id.to_string()),
        old: Some(json!({"status": store::users::PENDING})),
        new: Some(json!({"status": store::users::ACTIVE})),
    };
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user_id)), event).await?;
    tx.commit().await?;
    Ok(())
}
