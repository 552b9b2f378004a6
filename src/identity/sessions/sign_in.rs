//! Password sign-in. Unknown email, wrong password and locked account all answer 401
//! `invalid-credentials` after the same work (an unknown email is checked against a dummy hash);
//! the lockout counter is reserved before verifying (see `store::lockout`).

use std::sync::Arc;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use uuid::Uuid;

use super::{SessionStart, Sessions, TokenPair};
use crate::db::{decode, time};
use crate::error::Error;
use crate::identity::Device;
use crate::identity::fields::Email;
use crate::identity::password::{HashedAs, Verified};
use crate::identity::problems::{email_unverified, hashing_failed, invalid_credentials};
use crate::identity::store;
use crate::identity::store::lockout::Attempt;
use crate::identity::tokens::opaque;

/// What a correct password leads to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(TokenPair),
    /// MFA is on: exchange `mfa_token` and a code at `POST /v1/auth/mfa` (or a passkey at
    /// `POST /v1/auth/mfa/passkey/finish`).
    MfaRequired(MfaChallenge),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MfaChallenge {
    pub mfa_required: bool,
    pub mfa_token: String,
    pub expires_in: u64,
    /// The second factors the user has: `totp` (a code or a backup code at `POST /v1/auth/mfa`)
    /// and `passkey` (`POST /v1/auth/mfa/passkey/start`, then `/finish`).
    pub factors: Vec<&'static str>,
}

impl Sessions {
    /// Signs in with a password: a session, or the MFA challenge when MFA is on. `remember`
    /// (`remember_me`) makes the session long-lived, through the MFA step too.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        self: &Arc<Self>,
        email: &Email,
        password: SecretString,
        device: &Device,
        remember: bool,
    ) -> Result<LoginOutcome, Error> {
        // Every failure costs one read, one commit and one hash, whichever it is, so neither the
        // answer nor its timing tells an unknown email from a wrong password or a locked account.
        let found = store::users::find_by_email(self.db.reader(), email.as_str()).await?;
        let user = match found {
            Some(user) if !user.is_deleted() && user.password_hash.is_some() => user,
            _ => {
                self.record_failure(None, email, device, "unknown_email").await?;
                self.hasher.verify(password, None, HashedAs::Nfkc).await.map_err(hashing_failed)?;
                return Err(invalid_credentials());
            }
        };
        let user_id = user.uuid()?;
        if user.staff_locked_at.is_some() {
            self.record_failure(Some(user_id), email, device, "locked_by_staff").await?;
            self.hasher.verify(password, None, HashedAs::Nfkc).await.map_err(hashing_failed)?;
            return Err(invalid_credentials());
        }
        if let Some(until) = decode::opt_time(user.locked_until.clone())?
            && until <= time::now()
        {
            crate::identity::maintenance::expire_lockouts_of(&self.db, time::now(), Some(user_id)).await?;
        }
        let Attempt::Reserved(n) = self.reserve_attempt(&user, user_id).await? else {
            self.record_failure(Some(user_id), email, device, "locked").await?;
            self.hasher.verify(password, None, HashedAs::Nfkc).await.map_err(hashing_failed)?;
            return Err(invalid_credentials());
        };
        let verified = self
            .hasher
            .verify(password.clone(), user.password_hash.clone(), user.hashed_as())
            .await
            .map_err(hashing_failed)?;
        if verified == Verified::Wrong {
            // Recorded after answering: the lock (if this was the last try) is already in place.
            let (sessions, user, email, device) = (Arc::clone(self), user.clone(), email.clone(), device.clone());
            tokio::spawn(async move {
                if let Err(error) = sessions.record_wrong_password(&user, &email, &device, n).await {
                    tracing::error!(error = ?error, "recording a failed sign-in");
                }
            });
            return Err(invalid_credentials());
        }
        if !self.attempt_succeeded(user_id, n).await? {
            self.record_failure(Some(user_id), email, device, "locked").await?;
            return Err(invalid_credentials());
        }
        if verified == Verified::CorrectNeedsRehash {
            let hash = self.hasher.hash(password).await.map_err(hashing_failed)?;
            store::users::set_password(&mut *self.db.writer().acquire().await?, user_id, &hash).await?;
        }
        if user.email_verified_at.is_none() {
            return Err(email_unverified());
        }
        let factors = store::users::second_factors(self.db.reader(), user_id).await?;
        if !factors.is_empty() {
            let challenge = self.mfa_challenge(user_id, device, remember, None).await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let start = SessionStart { mfa: false, remember };
        self.start_session_with(user_id, email.as_str(), device, start).await.map(LoginOutcome::Tokens)
    }

    /// Opens the challenge the second sign-in step (`POST /v1/auth/mfa`) consumes; `via` is how
    /// the first step was made when not with the password (`oidc:<provider>`).
    pub async fn mfa_challenge(
        &self,
        user_id: Uuid,
        device: &Device,
        remember: bool,
        via: Option<&str>,
    ) -> Result<MfaChallenge, Error> {
        let minutes = self.settings.mfa_token_minutes;
        let (token, hash) = opaque::new_token();
        let expires = time::now() + Duration::minutes(i64::try_from(minutes).unwrap_or(5));
        let mut conn = self.db.writer().acquire().await?;
        store::one_time::insert_mfa_challenge(&mut conn, user_id, &hash, device, expires, remember, via).await?;
        let factors = store::users::second_factors(&mut *conn, user_id).await?;
        let mfa_token = token.expose_secret().to_owned();
        Ok(MfaChallenge { mfa_required: true, mfa_token, expires_in: minutes * 60, factors })
    }
}
