//! The signed-in user's own data: read (personal data opened, full SSN never returned), update,
//! and delete (soft: sessions end at once, personal data is purged after the retention period).

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::Identity;
use crate::audit::{self, Event};
use crate::db::decode;
use crate::error::{Error, Problem};
use crate::identity::fields::{Address, FullName, Phone, Ssn};
use crate::identity::pii::{self, Column};
use crate::identity::store::{self, users::UserRow};
use crate::identity::{Device, Role};

/// `GET /v1/users/me` (docs/api.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    /// As given: one line, or `{line1, line2?, city, region?, postal_code, country}`.
    #[schema(value_type = Option<crate::identity::fields::Address>)]
    pub address: Option<serde_json::Value>,
    pub ssn_last4: Option<String>,
    pub roles: Vec<Role>,
    pub kyc_status: String,
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A validated `PATCH /v1/users/me`: `None` leaves a field, `Some(None)` clears it.
#[derive(Default)]
pub struct ProfilePatch {
    pub full_name: Option<FullName>,
    pub phone: Option<Option<Phone>>,
    pub address: Option<Option<Address>>,
}

impl Identity {
    /// The profile of a live user, personal data opened (of the SSN only its last four digits).
    /// The row and its roles are one statement, kept (sealed) between requests until the user
    /// changes (`crate::read_cache`); the personal data is opened for each answer.
    pub async fn profile(&self, user_id: Uuid) -> Result<Profile, Error> {
        // A profile shows its user alone: no other id's change makes it stale.
        let load = || async {
            let found = store::users::find_with_roles(self.db.reader(), user_id).await?;
            Ok::<_, Error>(found.map(|row_and_roles| (row_and_roles, Vec::new())))
        };
        match self.profiles.get(user_id, load).await?.as_deref() {
            Some((user, roles)) if !user.is_deleted() => self.profile_of(user, roles.clone()),
            _ => Err(Problem::not_found("the user").into()),
        }
    }

    fn profile_of(&self, user: &UserRow, roles: Vec<Role>) -> Result<Profile, Error> {
        let ring = &self.keys.encryption;
        let id = user.uuid()?;
        let open = |column, sealed: &Option<String>| pii::open_opt(ring, column, &user.id, sealed.as_deref());
        let ssn = open(Column::Ssn, &user.ssn)?.map(|s| Ssn::parse(&s).map(|s| s.last4().to_owned()));
        let address = open(Column::Address, &user.address)?.map(|a| serde_json::from_str(&a)).transpose();
        Ok(Profile {
            id,
            email: user.email.clone().unwrap_or_default(),
            full_name: user.full_name.clone(),
            phone: open(Column::Phone, &user.phone)?,
            date_of_birth: open(Column::DateOfBirth, &user.date_of_birth)?,
            address: address.map_err(anyhow::Error::from)?,
            ssn_last4: ssn.transpose().map_err(|e| anyhow::anyhow!("stored SSN does not parse: {e}"))?,
            roles,
            kyc_status: user.kyc_status.clone(),
            mfa_enabled: user.mfa_enabled != 0,
            created_at: decode::time(&user.created_at)?,
        })
    }

    /// Applies a profile change; answers the updated profile.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn update_profile(&self, user_id: Uuid, patch: ProfilePatch, device: &Device) -> Result<Profile, Error> {
        let ring = &self.keys.encryption;
        let id = user_id.to_string();
        let mut changed = Vec::new();
        let mut tx = self.db.begin().await?;
        match store::users::find(&mut *tx, user_id).await? {
            Some(user) if !user.is_deleted() => user,
            _ => return Err(Problem::not_found("the user").into()),
        };
        if let Some(name) = &patch.full_name {
            store::users::set_column(&mut tx, user_id, "full_name", Some(name.as_str().to_owned())).await?;
            changed.push("full_name");
        }
        if let Some(phone) = &patch.phone {
            let sealed = phone.as_ref().map(|p| pii::seal(ring, Column::Phone, &id, p.as_str()));
            store::users::set_column(&mut tx, user_id, "phone", sealed).await?;
            changed.push("phone");
        }
        if let Some(address) = &patch.address {
            let text = address.as_ref().map(serde_json::to_string).transpose().map_err(anyhow::Error::from)?;
            let sealed = text.map(|a| pii::seal(ring, Column::Address, &id, &a));
            store::users::set_column(&mut tx, user_id, "address", sealed).await?;
            changed.push("address");
        }
        if !changed.is_empty() {
            // Field names only: values are personal data, the chain is forever.
            let event = Event {
                action: "user.profile_updated",
                target_type: "user",
                target_id: Some(id),
                old: None,
                new: Some(json!({ "changed": changed })),
            };
            audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        }
        tx.commit().await?;
        self.profile_changed(user_id).await;
        self.profile(user_id).await
    }

    /// Soft-deletes the account after re-checking the password: every session ends now; the
    /// cleanup job purges the personal data after `identity.retention_days`.
    #[tracing::instrument(skip_all, fields(user = %user_id))]
    pub async fn delete_account(&self, user_id: Uuid, password: SecretString, device: &Device) -> Result<(), Error> {
        let user = self.live_user(user_id).await?;
        self.sessions.confirm_password(&user, password, device).await?;
        let mut tx = self.db.begin().await?;
        store::users::soft_delete(&mut tx, user_id).await?;
        let revoked = store::sessions::revoke_all(&mut tx, user_id, None, "account_deleted").await?;
        let retention = self.settings.retention_days;
        let event = Event {
            action: "user.deleted",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: Some(json!({"status": user.status})),
            new: Some(json!({"status": store::users::DELETED, "purge_after_days": retention})),
        };
        audit::record(&mut tx, &device.actor(Some(user_id)), event).await?;
        tx.commit().await?;
        self.profile_changed(user_id).await;
        self.sessions.announce_revoked(&revoked).await
    }
}
