//! Refresh-token rotation with reuse detection.

use std::future::Future;

use secrecy::ExposeSecret;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;

use super::{Sessions, TokenPair};
use crate::audit::{self, Event};
use crate::db::{decode, time};
use crate::error::Error;
use crate::identity::Device;
use crate::identity::emails::when;
use crate::identity::problems::{refresh_refused, revocation_failed};
use crate::identity::store::{self, refresh_tokens::RefreshRow};
use crate::identity::tokens::opaque;
use crate::security_events::{self, SecurityEvent};

impl Sessions {
    /// Exchanges a refresh token for a new pair; a spent one revokes its whole session.
    /// `limit_session(session id)` is the caller's per-session rate limit, applied once the
    /// token's session is known and before anything is spent.
    #[tracing::instrument(skip_all)]
    pub async fn refresh<F, Fut>(&self, token: &str, device: &Device, limit_session: F) -> Result<TokenPair, Error>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), Error>>,
    {
        if !opaque::well_formed(token) {
            return Err(refresh_refused());
        }
        let Some(row) = store::refresh_tokens::find(self.db.reader(), &opaque::hash(token)).await? else {
            return Err(refresh_refused());
        };
        let session_id = decode::uuid(&row.session_id)?;
        limit_session(row.session_id.clone()).await?;
        if row.spent_at.is_some() {
            self.reuse_detected(&row, device).await?;
            return Err(refresh_refused());
        }
        let now = time::now();
        let expires_at = decode::time(&row.expires_at)?;
        let live = row.revoked_at.is_none() && decode::time(&row.idle_expires_at)? > now && expires_at > now;
        if !live {
            return Err(refresh_refused());
        }
        let user_id = decode::uuid(&row.user_id)?;
        let remember = row.remember != 0;
        let idle_expires_at = self.idle_end(now, expires_at, remember);
        let (next, next_hash) = opaque::new_token();
        let mut tx = self.db.begin().await?;
        if !store::refresh_tokens::spend(&mut tx, &row.token_id).await? {
            // Spent by a concurrent request between our read and this write: the same reuse.
            tx.rollback().await?;
            self.reuse_detected(&row, device).await?;
            return Err(refresh_refused());
        }
        store::refresh_tokens::insert(&mut tx, session_id, &next_hash).await?;
        store::sessions::touch(&mut tx, session_id, idle_expires_at).await?;
        let (access_token, expires_in) = self.access_token(&mut tx, user_id, session_id, row.mfa != 0).await?;
        tx.commit().await?;
        Ok(TokenPair {
            access_token,
            refresh_token: next.expose_secret().to_owned(),
            token_type: "Bearer",
            expires_in,
            session_id,
            remembered: remember,
            session_expires_at: expires_at,
        })
    }

    /// A spent refresh token came back: someone holds a copy. End the session everywhere.
    pub(super) async fn reuse_detected(&self, row: &RefreshRow, device: &Device) -> Result<(), Error> {
        let session_id = decode::uuid(&row.session_id)?;
        let user_id = decode::uuid(&row.user_id)?;
        let mut tx = self.db.begin().await?;
        let revoked = store::sessions::revoke_one(&mut tx, user_id, session_id, "refresh_token_reuse").await?;
        let event = SecurityEvent {
            kind: security_events::REFRESH_TOKEN_REUSE,
            user_id: Some(user_id),
            ip: device.ip.clone(),
            subject: None,
            detail: json!({"session_id": session_id, "user_agent": device.user_agent, "session_was_live": revoked}),
        };
        security_events::record(&mut tx, event).await?;
        let mut mail = Deferred::default();
        if revoked {
            let audit_event = Event {
                action: "session.revoked",
                target_type: "session",
                target_id: Some(session_id.to_string()),
                old: None,
                new: Some(json!({"reason": "refresh_token_reuse"})),
            };
            audit::record(&mut tx, &device.actor(None), audit_event).await?;
            if let Some(user) = store::users::find(&mut *tx, user_id).await?
                && let Some(email) = user.email
            {
                let data = json!({"full_name": user.full_name, "ip": device.ip, "at": when(time::now())});
                mail = self.emails.send(&mut tx, &email, Template::RefreshTokenReuse, data).await?;
            }
        }
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        self.revocations.revoked(self.redis.as_ref(), &[session_id]).await.map_err(revocation_failed)?;
        Ok(())
    }
}
