//! A passkey as the second step of sign-in, for users who have one: `mfa_token` → the options
//! naming the user's passkeys, then `mfa_token` + the assertion → the session. Each finish counts
//! against the token like a code (`[mfa] max_failed_codes`); the ceremony itself is the passkey
//! capability's (bound to this challenge, single use).

use uuid::Uuid;

use super::error::MfaError;
use super::service::Mfa;
use super::store;
use crate::identity::tokens::opaque;
use crate::identity::{Device, SessionStart, TokenPair};
use crate::passkeys::{Ceremony, PublicKeyCredential};

impl Mfa {
    /// The live challenge `token` names: its id and user (no attempt counted).
    async fn live_challenge(&self, token: &str) -> Result<(Uuid, Uuid), MfaError> {
        if !opaque::well_formed(token) {
            return Err(MfaError::InvalidSignIn);
        }
        let mut conn = self.db.writer().acquire().await?;
        store::find_live(&mut conn, &opaque::hash(token)).await?.ok_or(MfaError::InvalidSignIn)
    }

    /// The options for `navigator.credentials.get` naming the signing-in user's passkeys.
    #[tracing::instrument(skip_all)]
    pub async fn passkey_step_start(&self, token: &str) -> Result<Ceremony, MfaError> {
        let (challenge_id, user_id) = self.live_challenge(token).await?;
        Ok(self.passkeys.start_second_step(user_id, challenge_id).await?)
    }

    /// The second step with a passkey: the attempt is counted first; a passkey that checks out
    /// ends the challenge and opens the session (`mfa: true`) on the device the sign-in started on.
    #[tracing::instrument(skip_all)]
    pub async fn login_with_passkey(
        &self,
        token: &str,
        ceremony: &str,
        credential: &PublicKeyCredential,
        request: &Device,
    ) -> Result<TokenPair, MfaError> {
        if !opaque::well_formed(token) {
            return Err(MfaError::InvalidSignIn);
        }
        let mut conn = self.db.writer().acquire().await?;
        let reserved = store::reserve_attempt(&mut conn, &opaque::hash(token), self.max_failed_codes).await?;
        drop(conn);
        let challenge = match reserved {
            store::Reserved::Attempt(challenge) => challenge,
            store::Reserved::Exhausted => return Err(MfaError::SignInLocked),
            store::Reserved::Invalid => return Err(MfaError::InvalidSignIn),
        };
        let user = crate::identity::store::users::find(self.db.reader(), challenge.user_id).await?;
        let Some(user) = user.filter(|u| !u.is_deleted() && u.staff_locked_at.is_none()) else {
            return Err(MfaError::InvalidSignIn);
        };
        let checked =
            self.passkeys.check_second_step(challenge.user_id, challenge.id, ceremony, credential, request).await;
        if let Err(error) = checked {
            let exhausted = i64::from(self.max_failed_codes) <= challenge.attempt;
            return Err(if exhausted { MfaError::SignInLocked } else { MfaError::Other(error) });
        }
        let mut conn = self.db.writer().acquire().await?;
        if !store::close_challenge(&mut conn, challenge.id).await? {
            return Err(MfaError::InvalidSignIn);
        }
        drop(conn);
        let device = Device { name: challenge.device_name, ip: challenge.ip, user_agent: challenge.user_agent };
        let email = user.email.clone().unwrap_or_default();
        let start = SessionStart { mfa: true, remember: challenge.remember };
        let pair = self
            .sessions
            .start_session_via(challenge.user_id, &email, &device, start, challenge.via.as_deref())
            .await?;
        tracing::info!(factor = "passkey", "sign-in passed MFA");
        Ok(pair)
    }
}
