//! Ending sessions: logout (one or all), revoking one session from the list.

use serde_json::json;
use uuid::Uuid;

use super::{Device, revocation_failed};
use crate::audit::{self, Event};
use crate::error::{ApiError, Problem};
use crate::identity::store;
use crate::state::AppState;

/// Ends the caller's session, or all of their sessions.
#[tracing::instrument(skip_all, fields(user = %user_id, all))]
pub async fn logout(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    all: bool,
    device: &Device,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    let revoked = if all {
        store::sessions::revoke_all(&mut tx, user_id, None, "logout_all").await?
    } else if store::sessions::revoke_one(&mut tx, user_id, session_id, "logout").await? {
        vec![session_id]
    } else {
        Vec::new()
    };
    let event = Event {
        action: if all { "auth.logout_all" } else { "auth.logout" },
        target_type: "session",
        target_id: Some(session_id.to_string()),
        old: None,
        new: Some(json!({"revoked_sessions": revoked})),
    };
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user_id)), event).await?;
    tx.commit().await?;
    state.identity.revocations.revoked(state.redis.as_ref(), &revoked).await.map_err(revocation_failed)
}

/// Revokes one of the caller's sessions; 404 when it is not theirs or not live.
pub async fn revoke_session(state: &AppState, user_id: Uuid, target: Uuid, device: &Device) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    if !store::sessions::revoke_one(&mut tx, user_id, target, "revoked_by_user").await? {
        return Err(Problem::not_found("the session").into());
    }
    let event = Event {
        action: "session.revoked",
        target_type: "session",
        target_id: Some(target.to_string()),
        old: None,
        new: Some(json!({"reason": "revoked_by_user"})),
    };
    audit::append(&mut tx, state.db.dialect(), &device.actor(Some(user_id)), event).await?;
    tx.commit().await?;
    state.identity.revocations.revoked(state.redis.as_ref(), &[target]).await.map_err(revocation_failed)
}

/// Tells the revocation cache (and Redis) about sessions revoked in a committed transaction.
pub async fn revoke_sessions(state: &AppState, sessions: &[Uuid]) -> Result<(), ApiError> {
    state.identity.revocations.revoked(state.redis.as_ref(), sessions).await.map_err(revocation_failed)
}
