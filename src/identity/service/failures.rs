//! Recording failed sign-ins: the security events, and the lockout's audit entry and email.

use serde_json::json;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::{Device, emails};
use crate::audit::{self, Event};
use crate::error::ApiError;
use crate::identity::fields::Email;
use crate::identity::pii;
use crate::identity::store::lockout;
use crate::identity::store::users::UserRow;
use crate::security_events::{self, SecurityEvent};
use crate::state::AppState;

/// Records a failed sign-in that verified nothing real (unknown email, locked account).
pub async fn failed(
    state: &AppState,
    user_id: Option<Uuid>,
    email: &Email,
    device: &Device,
    reason: &str,
) -> Result<(), ApiError> {
    let mut conn = state.db.writer().acquire().await?;
    security_events::record(&mut conn, login_failed(state, user_id, email, device, reason)).await?;
    Ok(())
}

fn login_failed(
    state: &AppState,
    user_id: Option<Uuid>,
    email: &Email,
    device: &Device,
    reason: &str,
) -> SecurityEvent {
    SecurityEvent {
        kind: security_events::LOGIN_FAILED,
        user_id,
        ip: device.ip.clone(),
        subject: Some(pii::subject_index(&state.keys.mac, "email", email.as_str())),
        detail: json!({"reason": reason, "user_agent": device.user_agent}),
    }
}

/// A wrong password: the security event and, when it took the last try, the lockout's audit
/// entry, event and email (the lock itself was set when the try was reserved).
pub async fn wrong_password(
    state: &AppState,
    user: &UserRow,
    email: &Email,
    device: &Device,
    attempt: i64,
) -> Result<(), ApiError> {
    let user_id = user.uuid()?;
    let mut tx = state.db.begin().await?;
    let mut event = login_failed(state, Some(user_id), email, device, "wrong_password");
    event.detail["attempt"] = json!(attempt);
    security_events::record(&mut tx, event).await?;
    if attempt >= i64::from(state.config.settings.identity.lockout_threshold)
        && let Some(until) = lockout::confirm_lock(&mut tx, user_id).await?
    {
        let detail = json!({"until": emails::when(until), "failed_attempts": attempt});
        let locked = SecurityEvent {
            kind: security_events::ACCOUNT_LOCKED,
            user_id: Some(user_id),
            ip: device.ip.clone(),
            subject: None,
            detail,
        };
        security_events::record(&mut tx, locked).await?;
        let audit_event = Event {
            action: "user.locked",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: Some(json!({"locked_until": null})),
            new: Some(json!({"locked_until": emails::when(until), "reason": "failed_logins"})),
        };
        audit::append(&mut tx, state.db.dialect(), &device.actor(None), audit_event).await?;
        let data = json!({"full_name": user.full_name, "until": emails::when(until), "ip": device.ip});
        emails::send(&mut tx, state, email.as_str(), Template::AccountLocked, data).await?;
        metrics::counter!("account_lockouts_total").increment(1);
    }
    tx.commit().await?;
    Ok(())
}
