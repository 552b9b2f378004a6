//! Proving a second factor for a session: the second step of sign-in (`mfa_token` + code →
//! a new session) and the step-up of a signed-in session.

use serde_json::json;
use uuid::Uuid;

use super::error::{MfaError, WrongCode};
use super::service::{Mfa, Proof};
use super::store;
use crate::audit::{self, Event};
use crate::authz;
use crate::identity::tokens::opaque;
use crate::identity::{Device, SessionStart, TokenPair};
use crate::security_events::{self, SecurityEvent};

impl Mfa {
    /// Confirms a second factor on `session_id`: it counts as having passed MFA now.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn step_up(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        proof: Proof,
        device: &Device,
    ) -> Result<(), MfaError> {
        let row = self.live_user(user_id).await?;
        let mut tx = self.db.begin().await?;
        let Some((used, mail)) = self.verify(&mut tx, &row, &proof, true).await? else {
            return Err(MfaError::WrongCode(WrongCode::StepUp));
        };
        authz::store::mark_session_mfa(&mut tx, session_id).await?;
        let audit_event = Event {
            action: "auth.mfa_step_up",
            target_type: "session",
            target_id: Some(session_id.to_string()),
            old: None,
            new: Some(json!({"factor": used.name()})),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        tx.commit().await?;
        self.after_commit(mail).await;
        Ok(())
    }

    /// The second step of sign-in. Every attempt counts against the `mfa_token` before its
    /// code is checked; after `[mfa] max_failed_codes` the token is dead. The session opens on
    /// the device the sign-in started on.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, token: &str, proof: Proof, request: &Device) -> Result<TokenPair, MfaError> {
        if !opaque::well_formed(token) {
            return Err(MfaError::InvalidSignIn);
        }
        let max = self.max_failed_codes;
        let mut conn = self.db.writer().acquire().await?;
        let reserved = store::reserve_attempt(&mut conn, &opaque::hash(token), max).await?;
        drop(conn);
        let challenge = match reserved {
            store::Reserved::Attempt(challenge) => challenge,
            store::Reserved::Exhausted => return Err(MfaError::SignInLocked),
            store::Reserved::Invalid => return Err(MfaError::InvalidSignIn),
        };
        let user = crate::identity::store::users::find(self.db.reader(), challenge.user_id).await?;
        let Some(user) = user.filter(|u| !u.is_deleted() && u.staff_locked_at.is_none() && u.mfa_enabled != 0) else {
            return Err(MfaError::InvalidSignIn);
        };
        let mut tx = self.db.begin().await?;
        let Some((used, mail)) = self.verify(&mut tx, &user, &proof, true).await? else {
            drop(tx);
            let left = i64::from(max) - challenge.attempt;
            let kind = if left <= 0 { security_events::MFA_LOCKED } else { security_events::MFA_FAILED };
            let factor = if matches!(proof, Proof::Backup(_)) { "backup_code" } else { "totp" };
            let event = SecurityEvent {
                kind,
                user_id: Some(challenge.user_id),
                ip: request.ip.clone(),
                subject: None,
                detail: json!({"attempt": challenge.attempt, "factor": factor}),
            };
            let mut conn = self.db.writer().acquire().await?;
            security_events::record(&mut conn, event).await?;
            return Err(if left <= 0 { MfaError::SignInLocked } else { MfaError::WrongSignInCode { left } });
        };
        if !store::close_challenge(&mut tx, challenge.id).await? {
            return Err(MfaError::InvalidSignIn);
        }
        tx.commit().await?;
        self.after_commit(mail).await;
        let device = Device { name: challenge.device_name, ip: challenge.ip, user_agent: challenge.user_agent };
        let email = user.email.clone().unwrap_or_default();
        let start = SessionStart { mfa: true, remember: challenge.remember };
        let via = challenge.via.as_deref();
        let pair = self.sessions.start_session_via(challenge.user_id, &email, &device, start, via).await?;
        tracing::info!(factor = used.name(), "sign-in passed MFA");
        Ok(pair)
    }
}
