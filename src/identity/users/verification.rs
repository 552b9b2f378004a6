//! Email verification: the token sent at registration, and its use.

use chrono::Duration;
use secrecy::ExposeSecret;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Identity;
use crate::audit::{self, Event};
use crate::db::time;
use crate::error::Error;
use crate::events::{self, EventType, NewEvent};
use crate::identity::Device;
use crate::identity::problems::invalid_token;
use crate::identity::store::{self, one_time::Purpose};
use crate::identity::tokens::opaque;

impl Identity {
    /// Issues a verification token and queues its email (retiring earlier ones).
    pub(super) async fn send_verification(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: Uuid,
        email: &str,
        full_name: &str,
    ) -> Result<Deferred, Error> {
        let hours = self.settings.email_verification_hours;
        let (token, hash) = opaque::new_token();
        store::one_time::retire(conn, user_id, Purpose::VerifyEmail).await?;
        let expires = time::now() + Duration::hours(i64::try_from(hours).unwrap_or(24));
        store::one_time::insert(conn, user_id, Purpose::VerifyEmail, &hash, expires).await?;
        let data = json!({
            "link": self.emails.link("verify-email", token.expose_secret()),
            "full_name": full_name,
            "expires_in_hours": hours,
        });
        Ok(self.emails.send(conn, email, Template::VerifyEmail, data).await?)
    }

    /// Consumes a verification token: the email is verified and the account active.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(&self, token: &str, device: &Device) -> Result<(), Error> {
        if !opaque::well_formed(token) {
            return Err(invalid_token("verification link"));
        }
        let mut tx = self.db.begin().await?;
        let Some(user_id) = store::one_time::consume(&mut tx, Purpose::VerifyEmail, &opaque::hash(token)).await? else {
            return Err(invalid_token("verification link"));
        };
        store::users::mark_verified(&mut tx, user_id).await?;
        let event = Event {
            action: "user.email_verified",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: Some(json!({"status": store::users::PENDING})),
            new: Some(json!({"status": store::users::ACTIVE})),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        let data = json!({"user_id": user_id, "status": store::users::ACTIVE});
        let published = NewEvent::new(EventType::UserEmailVerified, ("user", user_id), Some(user_id), data);
        events::record(&mut tx, published).await?;
        tx.commit().await?;
        self.profile_changed(user_id).await;
        Ok(())
    }
}
