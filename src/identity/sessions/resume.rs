//! Resuming a browser session from its refresh cookie without spending the token: the staff
//! console's page requests. Many requests of one page (and several tabs) present the same cookie
//! at once, which rotation would read as theft; the cookie is HttpOnly, SameSite=Strict and
//! `__Host-`, and the session's idle and absolute ends, revocation and reuse detection apply
//! exactly as for a refresh.

use chrono::Duration;
use uuid::Uuid;

use super::Sessions;
use crate::db::{decode, time};
use crate::error::Error;
use crate::identity::store;
use crate::identity::tokens::opaque;

/// How much of the idle time may pass before a page request writes the session's new idle end:
/// a page and its assets write once, not once each.
const TOUCH_AFTER: Duration = Duration::seconds(30);

/// A live session resumed from its refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resumed {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// The session passed MFA (at sign-in, or by enrolling on it).
    pub mfa: bool,
}

impl Sessions {
    /// The live session whose current refresh token is `token`, its idle end moved on; `None`
    /// for an unknown, spent, revoked, idle or expired one (a spent one revokes its session, as
    /// a refresh would).
    #[tracing::instrument(skip_all)]
    pub async fn resume(&self, token: &str, device: &crate::identity::Device) -> Result<Option<Resumed>, Error> {
        if !opaque::well_formed(token) {
            return Ok(None);
        }
        let Some(row) = store::refresh_tokens::find(self.db.reader(), &opaque::hash(token)).await? else {
            return Ok(None);
        };
        if row.spent_at.is_some() {
            self.reuse_detected(&row, device).await?;
            return Ok(None);
        }
        let now = time::now();
        let expires_at = decode::time(&row.expires_at)?;
        let idle_expires_at = decode::time(&row.idle_expires_at)?;
        if row.revoked_at.is_some() || idle_expires_at <= now || expires_at <= now {
            return Ok(None);
        }
        let session_id = decode::uuid(&row.session_id)?;
        let next_idle_end = self.idle_end(now, expires_at, row.remember != 0);
        if next_idle_end - idle_expires_at > TOUCH_AFTER {
            let mut conn = self.db.writer().acquire().await?;
            store::sessions::touch(&mut conn, session_id, next_idle_end).await?;
        }
        // The revocation cache is what every other request asks: a session revoked on another
        // server is refused here as soon as it is there.
        if !self.is_live(session_id).await? {
            return Ok(None);
        }
        Ok(Some(Resumed { user_id: decode::uuid(&row.user_id)?, session_id, mfa: row.mfa != 0 }))
    }
}
