//! Checking a known user's password under the lockout (see `store::lockout`), and recording
//! failures: the security events, and the lockout's audit entry and email. Sign-in uses it, and
//! so do the flows that re-check the password of a signed-in user (password change, account
//! deletion, turning MFA off): a stolen access token cannot be used to guess the password
//! either.

use secrecy::SecretString;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Sessions;
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::Error;
use crate::identity::Device;
use crate::identity::emails::when;
use crate::identity::fields::Email;
use crate::identity::password::Verified;
use crate::identity::pii;
use crate::identity::problems::{hashing_failed, wrong_current_password};
use crate::identity::store::lockout::{self, Attempt};
use crate::identity::store::users::UserRow;
use crate::security_events::{self, SecurityEvent};

impl Sessions {
    /// `Ok` when `password` is the user's; 403 `invalid-credentials` when it is not or the
    /// account is locked.
    pub async fn confirm_password(&self, user: &UserRow, password: SecretString, device: &Device) -> Result<(), Error> {
        let user_id = user.uuid()?;
        let Attempt::Reserved(n) = self.reserve_attempt(user, user_id).await? else {
            return Err(wrong_current_password());
        };
        let verified =
            self.hasher.verify(password, user.password_hash.clone(), user.hashed_as()).await.map_err(hashing_failed)?;
        if verified == Verified::Wrong {
            let email = user.email.as_deref().map(Email::parse).and_then(Result::ok);
            if let Some(email) = email {
                self.record_wrong_password(user, &email, device, n).await?;
            }
            return Err(wrong_current_password());
        }
        if !self.attempt_succeeded(user_id, n).await? {
            return Err(wrong_current_password());
        }
        Ok(())
    }

    /// Reserves one password check (the one that takes the last slot also locks).
    pub(super) async fn reserve_attempt(&self, user: &UserRow, user_id: Uuid) -> Result<Attempt, Error> {
        let settings = &self.settings;
        let lock_until =
            time::now() + lockout::duration(user.lockouts, settings.lockout_minutes, settings.lockout_max_hours);
        let mut writer = self.db.writer().acquire().await?;
        Ok(lockout::reserve(&mut writer, user_id, settings.lockout_threshold, lock_until).await?)
    }

    /// A correct password on attempt `n`; false when a lock was set meanwhile.
    pub(super) async fn attempt_succeeded(&self, user_id: Uuid, n: i64) -> Result<bool, Error> {
        let mut writer = self.db.writer().acquire().await?;
        Ok(lockout::succeeded(&mut writer, user_id, n, self.settings.lockout_threshold).await?)
    }

    /// Records a failed sign-in that verified nothing real (unknown email, locked account).
    pub(super) async fn record_failure(
        &self,
        user_id: Option<Uuid>,
        email: &Email,
        device: &Device,
        reason: &str,
    ) -> Result<(), Error> {
        let mut conn = self.db.writer().acquire().await?;
        security_events::record(&mut conn, self.login_failed(user_id, email, device, reason)).await?;
        Ok(())
    }

    fn login_failed(&self, user_id: Option<Uuid>, email: &Email, device: &Device, reason: &str) -> SecurityEvent {
        SecurityEvent {
            kind: security_events::LOGIN_FAILED,
            user_id,
            ip: device.ip.clone(),
            subject: Some(pii::subject_index(&self.keys.mac, "email", email.as_str())),
            detail: json!({"reason": reason, "user_agent": device.user_agent}),
        }
    }

    /// A wrong password: the security event and, when it took the last try, the lockout's
    /// audit entry, event and email (the lock itself was set when the try was reserved).
    pub(super) async fn record_wrong_password(
        &self,
        user: &UserRow,
        email: &Email,
        device: &Device,
        attempt: i64,
    ) -> Result<(), Error> {
        let user_id = user.uuid()?;
        let mut tx = self.db.begin().await?;
        let mut mail = Deferred::default();
        let mut event = self.login_failed(Some(user_id), email, device, "wrong_password");
        event.detail["attempt"] = json!(attempt);
        security_events::record(&mut tx, event).await?;
        if attempt >= i64::from(self.settings.lockout_threshold)
            && let Some(until) = lockout::confirm_lock(&mut tx, user_id).await?
        {
            let detail = json!({"until": when(until), "failed_attempts": attempt});
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
                new: Some(json!({"locked_until": when(until), "reason": "failed_logins"})),
            };
            audit::record(&mut tx, &device.actor(None), audit_event).await?;
            let data = json!({"full_name": user.full_name, "until": when(until), "ip": device.ip});
            mail = self.emails.send(&mut tx, email.as_str(), Template::AccountLocked, data).await?;
            metrics::counter!("account_lockouts_total").increment(1);
        }
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        Ok(())
    }
}
