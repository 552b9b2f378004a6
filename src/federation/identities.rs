//! Finishing a link with the local password, and the identities a user sees and removes.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use super::problems::last_way_in;
use super::service::Federation;
use super::sign_in::linked_event;
use super::store;
use super::{Asserted, SignIn};
use crate::audit::{self, Event};
use crate::db::decode;
use crate::error::{Error, Problem};
use crate::identity::Device;
use crate::identity::problems::invalid_token;
use crate::identity::store::users;
use crate::identity::tokens::opaque;

/// A provider identity linked to a user, as they see it.
#[derive(Debug)]
pub struct LinkedIdentity {
    pub id: Uuid,
    pub provider: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Federation {
    /// Proves the local password for a pending link: the identity is linked (and the address
    /// counts as verified), then the user is signed in as through the provider.
    #[tracing::instrument(skip_all)]
    pub async fn complete_link(
        &self,
        link_token: &str,
        password: SecretString,
        request: &Device,
    ) -> Result<SignIn, Error> {
        let refused = || invalid_token("link token");
        if !opaque::well_formed(link_token) {
            return Err(refused());
        }
        let token_hash = opaque::hash(link_token);
        let pending = store::find_pending_link(self.db.reader(), &token_hash).await?.ok_or_else(refused)?;
        let user_id = pending.user()?;
        let user = users::find(self.db.reader(), user_id).await?.filter(|u| !u.is_deleted()).ok_or_else(refused)?;
        // The password's lockout and failure bookkeeping apply as at sign-in.
        self.sessions.confirm_password(&user, password, request).await?;
        let asserted = Asserted {
            provider: pending.provider.clone(),
            subject: pending.subject.clone(),
            email: Some(pending.email.clone()),
            email_verified: true,
            name: None,
        };
        let mut tx = self.db.begin().await?;
        if !store::consume_pending_link(&mut tx, &token_hash).await? {
            return Err(refused());
        }
        self.link(&mut tx, user_id, &asserted).await?;
        users::mark_verified(&mut tx, user_id).await?;
        audit::record(&mut tx, &request.actor(Some(user_id)), linked_event(user_id, &asserted, "password")).await?;
        tx.commit().await?;
        let device = Device { name: pending.device_name, ip: pending.ip, user_agent: pending.user_agent };
        self.sign_in(user_id, &pending.provider, &device, pending.redirect_to).await
    }

    /// The user's linked identities, oldest first.
    pub async fn identities(&self, user_id: Uuid) -> Result<Vec<LinkedIdentity>, Error> {
        let rows = store::identities_of(self.db.reader(), user_id).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(LinkedIdentity {
                id: decode::uuid(&row.id)?,
                provider: row.provider,
                email: row.email,
                created_at: decode::time(&row.created_at)?,
                last_used_at: decode::opt_time(row.last_used_at)?,
            });
        }
        Ok(items)
    }

    /// Unlinks one of the user's identities: 404 when it is not theirs, 409 when it is their
    /// last way to sign in (no password, no other identity).
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn unlink(&self, user_id: Uuid, identity_id: Uuid, device: &Device) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        let user = users::find(&mut *tx, user_id).await?.ok_or_else(|| Problem::not_found("identity"))?;
        let identities = store::count_identities(&mut tx, user_id).await?;
        if !store::delete_identity(&mut tx, user_id, identity_id).await? {
            return Err(Problem::not_found("identity").into());
        }
        if user.password_hash.is_none() && identities <= 1 {
            return Err(last_way_in());
        }
        let event = Event {
            action: "identity.unlinked",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: Some(json!({"identity_id": identity_id})),
            new: None,
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        tx.commit().await?;
        Ok(())
    }
}
