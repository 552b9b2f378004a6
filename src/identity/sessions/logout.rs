//! The sessions of a user: the list, logout (one or all), revoking one from the list, and
//! telling every server about revocations.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Sessions;
use crate::audit::{self, Event};
use crate::db::decode;
use crate::error::{Error, Problem};
use crate::identity::Device;
use crate::identity::problems::revocation_failed;
use crate::identity::store;

/// A live session, as its user sees it in the list.
#[derive(Debug)]
pub struct SessionInfo {
    pub id: Uuid,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// How it was opened: `password`, `oidc:<provider>` or `passkey`.
    pub via: String,
}

impl Sessions {
    /// The live sessions of a user, newest first.
    pub async fn list(&self, user_id: Uuid) -> Result<Vec<SessionInfo>, Error> {
        let rows = store::sessions::list_live(self.db.reader(), user_id).await?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in rows {
            sessions.push(SessionInfo {
                id: decode::uuid(&row.id)?,
                device_name: row.device_name,
                ip: row.ip,
                user_agent: row.user_agent,
                created_at: decode::time(&row.created_at)?,
                last_used_at: decode::time(&row.last_used_at)?,
                via: row.via.unwrap_or_else(|| "password".to_owned()),
            });
        }
        Ok(sessions)
    }

    /// Ends the caller's session, or all of their sessions.
    #[tracing::instrument(skip_all, fields(user = %user_id, all))]
    pub async fn logout(&self, user_id: Uuid, session_id: Uuid, all: bool, device: &Device) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
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
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        tx.commit().await?;
        self.announce_revoked(&revoked).await
    }

    /// Revokes one of the caller's sessions; 404 when it is not theirs or not live.
    pub async fn revoke_session(&self, user_id: Uuid, target: Uuid, device: &Device) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
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
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        tx.commit().await?;
        self.announce_revoked(&[target]).await
    }

    /// Tells the revocation cache (and Redis) about sessions revoked in a committed
    /// transaction, so their access tokens stop working at once on every server.
    pub async fn announce_revoked(&self, sessions: &[Uuid]) -> Result<(), Error> {
        self.revocations.revoked(self.redis.as_ref(), sessions).await.map_err(revocation_failed)
    }
}
