//! A sign counter that went backwards: the authenticator may have been cloned. The assertion is
//! refused (403 `passkey-suspended`), the passkey is stopped for good (it stays listed with
//! `suspended: true` until its owner removes it), a `passkey_counter_regression` security event
//! is written for staff, and the owner is emailed — all in one transaction.

use serde_json::json;
use tresor_jobs::email::Template;

use super::service::{Passkeys, event};
use super::store::{self, PasskeyRow};
use crate::audit;
use crate::db::decode;
use crate::error::Error;
use crate::identity::Device;
use crate::security_events::{self, SecurityEvent};

impl Passkeys {
    /// Stops the passkey of `row` after a counter regression (once; later tries find it stopped).
    #[tracing::instrument(skip_all, fields(passkey = %row.id))]
    pub(super) async fn suspend(&self, row: &PasskeyRow, device: &Device) -> Result<(), Error> {
        let user_id = decode::uuid(&row.user_id)?;
        let user = self.identity.live_user(user_id).await?;
        let mut tx = self.db.begin().await?;
        if !store::suspend(&mut tx, &row.id).await? {
            return Ok(());
        }
        let detail = json!({"passkey_id": row.id, "stored_sign_count": row.sign_count});
        let security_event = SecurityEvent {
            kind: security_events::PASSKEY_COUNTER_REGRESSION,
            user_id: Some(user_id),
            ip: device.ip.clone(),
            subject: None,
            detail: detail.clone(),
        };
        security_events::record(&mut tx, security_event).await?;
        audit::record(&mut tx, &device.actor(Some(user_id)), event("mfa.passkey_suspended", user_id, detail)).await?;
        let mail = self.email_owner(&mut tx, &user, Template::PasskeySuspended, &row.name, device).await?;
        tx.commit().await?;
        self.after_commit(mail).await;
        self.authz.publish_change(user_id).await;
        tracing::warn!("a passkey's sign counter went backwards; the passkey is suspended");
        Ok(())
    }
}
