//! Refresh-token rotation with reuse detection, logout and session revocation.

use chrono::Duration;
use secrecy::ExposeSecret;
use serde_json::json;
use tresor_jobs::email::Template;

use super::session::access_token;
use super::{Device, TokenPair, emails, revocation_failed};
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::{ApiError, Problem};
use crate::identity::store::{self, parse_id, sessions::RefreshRow};
use crate::identity::tokens::opaque;
use crate::ratelimit::Limit;
use crate::security_events::{self, SecurityEvent};
use crate::state::AppState;

fn refused() -> ApiError {
    Problem::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "invalid-token",
        "the refresh token is invalid, expired, spent or its session has ended; sign in again",
    )
    .into()
}

/// Exchanges a refresh token for a new pair; a spent one revokes its whole session.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, token: &str, device: &Device) -> Result<TokenPair, ApiError> {
    if !opaque::well_formed(token) {
        return Err(refused());
    }
    let Some(row) = store::sessions::find_refresh(state.db.reader(), &opaque::hash(token)).await? else {
        return Err(refused());
    };
    let session_id = parse_id(&row.session_id)?;
    state.rate_limits.enforce(Limit::Refresh, &row.session_id, device.ip.as_deref()).await?;
    if row.spent_at.is_some() {
        reuse_detected(state, &row, device).await?;
        return Err(refused());
    }
    let now = time::now();
    let live =
        row.revoked_at.is_none() && time::from_db(&row.idle_expires_at)? > now && time::from_db(&row.expires_at)? > now;
    if !live {
        return Err(refused());
    }
    let user_id = parse_id(&row.user_id)?;
    let idle = Duration::minutes(i64::try_from(state.config.settings.identity.session_idle_minutes).unwrap_or(30));
    let idle_expires_at = (now + idle).min(time::from_db(&row.expires_at)?);
    let (next, next_hash) = opaque::new_token();
    let mut tx = state.db.begin().await?;
    if !store::sessions::spend_refresh(&mut tx, &row.token_id).await? {
        // Spent by a concurrent request between our read and this write: the same reuse.
        tx.rollback().await?;
        reuse_detected(state, &row, device).await?;
        return Err(refused());
    }
    store::sessions::insert_refresh(&mut tx, session_id, &next_hash).await?;
    store::sessions::touch(&mut tx, session_id, idle_expires_at).await?;
    let (access_token, expires_in) = access_token(state, &mut tx, user_id, session_id, row.mfa != 0).await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token,
        refresh_token: next.expose_secret().to_owned(),
        token_type: "Bearer",
        expires_in,
        session_id,
    })
}

/// A spent refresh token came back: someone holds a copy. End the session everywhere.
async fn reuse_detected(state: &AppState, row: &RefreshRow, device: &Device) -> Result<(), ApiError> {
    let session_id = parse_id(&row.session_id)?;
    let user_id = parse_id(&row.user_id)?;
    let mut tx = state.db.begin().await?;
    let revoked = store::sessions::revoke_one(&mut tx, user_id, session_id, "refresh_token_reuse").await?;
    let event = SecurityEvent {
        kind: security_events::REFRESH_TOKEN_REUSE,
        user_id: Some(user_id),
        ip: device.ip.clone(),
        subject: None,
        detail: json!({"session_id": session_id, "user_agent": device.user_agent, "session_was_live": revoked}),
    };
    security_events::record(&mut tx, event).await?;
    if revoked {
        let audit_event = Event {
            action: "session.revoked",
            target_type: "session",
            target_id: Some(session_id.to_string()),
            old: None,
            new: Some(json!({"reason": "refresh_token_reuse"})),
        };
        audit::append(&mut tx, state.db.dialect(), &device.actor(None), audit_event).await?;
        if let Some(user) = store::users::find(&mut *tx, user_id).await?
            && let Some(email) = user.email
        {
            let data = json!({"full_name": user.full_name, "ip": device.ip, "at": emails::when(time::now())});
            emails::send(&mut tx, state, &email, Template::RefreshTokenReuse, data).await?;
        }
    }
    tx.commit().await?;
    state.identity.revocations.revoked(state.redis.as_ref(), &[session_id]).await.map_err(revocation_failed)?;
    Ok(())
}
