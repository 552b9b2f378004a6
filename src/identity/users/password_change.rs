//! Changing the password of a signed-in user: the current one is re-checked under the
//! lockout, the user's other sessions end and the owner is told by email.

use secrecy::SecretString;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Identity;
use super::recovery::audit_event;
use crate::audit;
use crate::db::time;
use crate::error::{Error, Problem};
use crate::identity::Device;
use crate::identity::emails::when;
use crate::identity::problems::hashing_failed;
use crate::identity::store;

impl Identity {
    /// Changes the signed-in user's password; their other sessions end.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn change_password(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        current: SecretString,
        new: SecretString,
        device: &Device,
    ) -> Result<(), Error> {
        let user =
            store::users::find(self.db.reader(), user_id).await?.ok_or_else(|| Problem::not_found("the user"))?;
        self.check_new_password("new_password", &new, &user)?;
        self.sessions.confirm_password(&user, current, device).await?;
        let password_hash = self.hasher.hash(new).await.map_err(hashing_failed)?;
        let mut tx = self.db.begin().await?;
        store::users::set_password(&mut tx, user_id, &password_hash).await?;
        let revoked = store::sessions::revoke_all(&mut tx, user_id, Some(session_id), "password_changed").await?;
        let event = audit_event(
            "user.password_changed",
            user_id,
            Some(json!({"password": "[changed]", "revoked_sessions": revoked.len()})),
        );
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        let mut mail = Deferred::default();
        if let Some(email) = &user.email {
            let data = json!({"full_name": user.full_name, "at": when(time::now()), "ip": device.ip});
            mail = self.emails.send(&mut tx, email, Template::PasswordChanged, data).await?;
        }
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        self.sessions.announce_revoked(&revoked).await
    }
}
