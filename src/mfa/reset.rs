//! The staff reset of a user's second factors (after a four-eyes approval): the authenticator,
//! backup codes and passkeys are removed, every session is revoked and the user is emailed — in the
//! caller's transaction, so the approval and the reset commit together.

use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::service::{Mfa, event};
use super::{MfaError, store};
use crate::audit::{self, Actor};
use crate::identity::store::sessions;

/// What a reset did, for what follows its commit ([`Mfa::after_reset`]).
#[derive(Debug)]
pub struct ResetDone {
    pub user_id: Uuid,
    pub revoked_sessions: Vec<Uuid>,
    /// The owner's email's delivery job, pushed after the commit (Redis queue).
    mail: Deferred,
}

impl Mfa {
    /// Resets `user_id`'s MFA in the caller's transaction, audited with `actor` (404 for an
    /// unknown or deleted user).
    pub async fn reset_in(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        user_id: Uuid,
    ) -> Result<ResetDone, MfaError> {
        let row = self.live_user(user_id).await?;
        store::remove(&mut *conn, user_id).await?;
        let passkeys = crate::passkeys::store::remove_all(&mut *conn, user_id).await?;
        let revoked = sessions::revoke_all(&mut *conn, user_id, None, "mfa_reset_by_staff").await?;
        let new = json!({"mfa_enabled": false, "was_enabled": row.mfa_enabled != 0, "revoked_sessions": revoked.len(),
            "removed_passkeys": passkeys});
        audit::record(&mut *conn, actor, event("mfa.reset", user_id, new)).await?;
        let mut mail = Deferred::default();
        if let Some(email) = &row.email {
            mail = self.email(&mut *conn, email, Template::MfaReset, json!({"full_name": row.full_name})).await?;
        }
        Ok(ResetDone { user_id, revoked_sessions: revoked, mail })
    }

    /// Once the reset committed: permissions are re-read, the revoked sessions stop at once and
    /// the owner's email goes out.
    pub async fn after_reset(&self, done: ResetDone) -> Result<(), crate::error::Error> {
        self.after_commit(done.mail).await;
        self.authz.publish_change(done.user_id).await;
        self.sessions.announce_revoked(&done.revoked_sessions).await
    }
}
