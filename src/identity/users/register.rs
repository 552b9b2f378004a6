//! Registration. A taken email — or an SSN that already has an account — gets exactly the
//! answer a new one gets (and costs the same password hash), and the existing owner is told by
//! email instead, so the endpoint cannot be used to find out who banks here.

use secrecy::SecretString;
use serde_json::json;
use tresor_jobs::Deferred;
use tresor_jobs::email::Template;
use uuid::Uuid;

use super::Identity;
use crate::audit::{self, Event};
use crate::error::Error;
use crate::events::{self, EventType, NewEvent};
use crate::identity::fields::{Address, DateOfBirth, Email, FullName, Phone, Ssn};
use crate::identity::pii::{self, Column};
use crate::identity::problems::hashing_failed;
use crate::identity::store::{self, users::NewUser};
use crate::identity::{Device, Role};
use crate::security_events::{self, SecurityEvent};

/// A registration, validated.
pub struct Registration {
    pub email: Email,
    pub password: SecretString,
    pub full_name: FullName,
    pub phone: Option<Phone>,
    pub date_of_birth: Option<DateOfBirth>,
    pub ssn: Option<Ssn>,
    pub address: Option<Address>,
}

impl Identity {
    /// Seals the personal data of a new user for its row.
    fn sealed_fields(&self, id: &str, reg: &Registration) -> anyhow::Result<[Option<String>; 4]> {
        let ring = &self.keys.encryption;
        let address = reg.address.as_ref().map(serde_json::to_string).transpose()?;
        Ok([
            reg.phone.as_ref().map(|p| pii::seal(ring, Column::Phone, id, p.as_str())),
            reg.date_of_birth.map(|d| pii::seal(ring, Column::DateOfBirth, id, &d.to_text())),
            reg.ssn.as_ref().map(|s| pii::seal(ring, Column::Ssn, id, s.canonical())),
            address.map(|a| pii::seal(ring, Column::Address, id, &a)),
        ])
    }

    /// Registers, or quietly tells the owner of a taken email or SSN. Always returns a user id.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, reg: Registration, device: &Device) -> Result<Uuid, Error> {
        // Hash first, whatever happens next: a taken email must cost what a new one costs.
        let hash = self.hasher.hash(reg.password.clone()).await.map_err(hashing_failed)?;
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        if let Some(owner) = store::users::find_by_email(&mut *tx, reg.email.as_str()).await? {
            if !owner.is_deleted() {
                let data = self.emails.registration_attempt(&owner.full_name);
                let mail = self.emails.send(&mut tx, reg.email.as_str(), Template::RegistrationAttempt, data).await?;
                tx.commit().await?;
                self.emails.after_commit(mail).await;
                return Ok(id);
            }
            tx.commit().await?;
            return Ok(id);
        }
        if let Some(ssn) = &reg.ssn {
            let candidates = pii::ssn_index_candidates(&self.keys.mac, ssn.canonical());
            if let Some(owner) = store::users::find_by_ssn_index(&mut tx, &candidates).await? {
                let event = SecurityEvent {
                    kind: security_events::DUPLICATE_SSN,
                    user_id: Some(owner.uuid()?),
                    ip: device.ip.clone(),
                    subject: Some(pii::subject_index(&self.keys.mac, "email", reg.email.as_str())),
                    detail: json!({"attempt": "registration"}),
                };
                security_events::record(&mut tx, event).await?;
                let mut mail = Deferred::default();
                if let Some(owner_email) = owner.email.as_deref() {
                    let data = self.emails.registration_attempt(&owner.full_name);
                    mail = self.emails.send(&mut tx, owner_email, Template::RegistrationAttempt, data).await?;
                }
                tx.commit().await?;
                self.emails.after_commit(mail).await;
                return Ok(id);
            }
        }
        let id_text = id.to_string();
        let [phone, date_of_birth, ssn, address] = self.sealed_fields(&id_text, &reg)?;
        let user = NewUser {
            id,
            email: reg.email.as_str().to_owned(),
            full_name: reg.full_name.as_str().to_owned(),
            password_hash: Some(hash),
            status: store::users::PENDING,
            email_verified: false,
            phone,
            date_of_birth,
            ssn,
            ssn_index: reg.ssn.as_ref().map(|s| pii::ssn_index(&self.keys.mac, s.canonical())),
            address,
        };
        if let Err(error) = store::users::insert(&mut tx, &user, &[Role::Customer]).await {
            // A concurrent registration of the same email or SSN won: answer as for a taken one.
            if store::is_unique_violation(&error) {
                tx.rollback().await?;
                return Ok(Uuid::now_v7());
            }
            return Err(error.into());
        }
        let provided: Vec<&str> = [
            ("phone", reg.phone.is_some()),
            ("date_of_birth", reg.date_of_birth.is_some()),
            ("ssn", reg.ssn.is_some()),
            ("address", reg.address.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        let event = Event {
            action: "user.registered",
            target_type: "user",
            target_id: Some(id_text),
            old: None,
            // Ids and field names only: the chain is kept forever, personal data is purged.
            new: Some(json!({"status": store::users::PENDING, "roles": ["customer"], "personal_data": provided})),
        };
        audit::record(&mut tx, &device.actor(Some(id)), event).await?;
        let data = json!({"user_id": id, "status": store::users::PENDING});
        let published = NewEvent::new(EventType::UserRegistered, ("user", id), Some(id), data);
        events::record(&mut tx, published).await?;
        let mail = self.send_verification(&mut tx, id, reg.email.as_str(), reg.full_name.as_str()).await?;
        tx.commit().await?;
        self.emails.after_commit(mail).await;
        metrics::counter!("registrations_total").increment(1);
        Ok(id)
    }
}
