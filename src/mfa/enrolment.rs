//! Turning MFA on and off: set up and enable TOTP, disable it, new backup codes.

use chrono::Utc;
use secrecy::SecretString;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::error::{MfaError, WrongCode};
use super::service::{Mfa, Proof, Setup, event};
use super::{store, totp};
use crate::audit;
use crate::authz;
use crate::identity::{Device, emails};

impl Mfa {
    /// A new secret, pending until [`Self::enable`] proves a code from it.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn setup(&self, user_id: Uuid, device: &Device) -> Result<Setup, MfaError> {
        let row = self.live_user(user_id).await?;
        let account = row.email.clone().unwrap_or_else(|| row.id.clone());
        let mut tx = self.db.begin().await?;
        if store::find_totp(&mut *tx, user_id).await?.is_some_and(|t| t.status == store::ACTIVE) {
            return Err(MfaError::SetupWhileEnabled);
        }
        let secret = totp::new_secret();
        let provisioning = totp::provisioning(&secret, &self.issuer, &account)?;
        let sealed = self.seal_secret(user_id, &secret);
        store::put_pending(&mut tx, user_id, &sealed).await?;
        let audit_event = event("mfa.totp_setup", user_id, json!({"secret": "[sealed]", "status": store::PENDING}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        tx.commit().await?;
        Ok(Setup {
            secret: provisioning.secret_base32,
            otpauth_uri: provisioning.otpauth_uri,
            qr_png_base64: provisioning.qr_png_base64,
        })
    }

    /// MFA on, with a code from the pending authenticator; the backup codes, to show once.
    /// Proving a code is passing MFA: `session_id` counts as stepped up.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn enable(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        code: String,
        device: &Device,
    ) -> Result<Vec<String>, MfaError> {
        let row = self.live_user(user_id).await?;
        let mut tx = self.db.begin().await?;
        match store::find_totp(&mut *tx, user_id).await? {
            None => return Err(MfaError::EnableBeforeSetup),
            Some(t) if t.status == store::ACTIVE => return Err(MfaError::AlreadyEnabled),
            Some(_) => {}
        }
        if self.verify(&mut tx, &row, &Proof::Totp(code), false).await?.is_none() {
            return Err(MfaError::WrongCode(WrongCode::FirstCode));
        }
        store::activate(&mut tx, user_id).await?;
        let codes = self.new_backup_set(&mut tx, &row).await?;
        authz::store::mark_session_mfa(&mut tx, session_id).await?;
        let audit_event = event("mfa.enabled", user_id, json!({"mfa_enabled": true, "backup_codes": codes.len()}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        let mut mail = Deferred::default();
        if let Some(email) = &row.email {
            mail = self.email(&mut tx, email, Template::MfaEnabled, json!({"full_name": row.full_name})).await?;
        }
        tx.commit().await?;
        self.after_commit(mail).await;
        self.authz.publish_change(user_id).await;
        Ok(codes)
    }

    /// MFA off: needs the password and a current code (the step-up guard runs before).
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn disable(
        &self,
        user_id: Uuid,
        password: SecretString,
        code: String,
        device: &Device,
    ) -> Result<(), MfaError> {
        let row = self.live_user(user_id).await?;
        if row.mfa_enabled == 0 {
            return Err(MfaError::NotEnabled);
        }
        self.sessions.confirm_password(&row, password, device).await?;
        let mut tx = self.db.begin().await?;
        if self.verify(&mut tx, &row, &Proof::Totp(code), true).await?.is_none() {
            return Err(MfaError::WrongCode(WrongCode::Current));
        }
        store::remove(&mut tx, user_id).await?;
        let audit_event = event("mfa.disabled", user_id, json!({"mfa_enabled": false}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        let mut mail = Deferred::default();
        if let Some(email) = &row.email {
            let data = json!({"full_name": row.full_name, "at": emails::when(Utc::now()), "ip": device.ip});
            mail = self.email(&mut tx, email, Template::MfaDisabled, data).await?;
        }
        tx.commit().await?;
        self.after_commit(mail).await;
        self.authz.publish_change(user_id).await;
        Ok(())
    }

    /// A new set of backup codes for a current code; the old set stops working.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn regenerate(&self, user_id: Uuid, code: String, device: &Device) -> Result<Vec<String>, MfaError> {
        let row = self.live_user(user_id).await?;
        let mut tx = self.db.begin().await?;
        if self.verify(&mut tx, &row, &Proof::Totp(code), true).await?.is_none() {
            return Err(MfaError::WrongCode(WrongCode::Current));
        }
        let codes = self.new_backup_set(&mut tx, &row).await?;
        let audit_event = event("mfa.backup_codes_regenerated", user_id, json!({"backup_codes": codes.len()}));
        audit::record(&mut tx, &device.actor(Some(user_id)), audit_event).await?;
        tx.commit().await?;
        Ok(codes)
    }
}
