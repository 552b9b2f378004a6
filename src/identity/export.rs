//! What a user's data export holds (`POST /v1/users/me/export` queues the request; the export
//! job builds the file from this and mails the link): the profile with personal data opened,
//! sessions, security events and the audit entries about or by the user (the SSN only as its
//! last four digits, like the profile). The exports capability adds documents, the KYC history
//! and accounts beside these.

use serde_json::{Value, json};
use uuid::Uuid;

use super::fields::Ssn;
use super::pii::{self, Column};
use super::store;
use crate::audit::Audit;
use crate::crypto::Keys;
use crate::db::Db;

/// Everything identity holds about `user_id`, as JSON; `None` for an unknown or purged user.
#[tracing::instrument(skip_all, fields(user = %user_id))]
pub async fn collect(db: &Db, audit: &Audit, keys: &Keys, user_id: Uuid) -> anyhow::Result<Option<Value>> {
    let Some(user) = store::users::find(db.reader(), user_id).await? else { return Ok(None) };
    audit.link_pending().await?;
    if user.email.is_none() {
        return Ok(None);
    }
    let ring = &keys.encryption;
    let open = |column, sealed: &Option<String>| pii::open_opt(ring, column, &user.id, sealed.as_deref());
    let address = open(Column::Address, &user.address)?.map(|a| serde_json::from_str::<Value>(&a)).transpose()?;
    let profile = json!({
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "phone": open(Column::Phone, &user.phone)?,
        "date_of_birth": open(Column::DateOfBirth, &user.date_of_birth)?,
        // Like the profile: the full SSN never leaves the server, not even to its owner.
        "ssn_last4": open(Column::Ssn, &user.ssn)?
            .map(|s| Ssn::parse(&s).map(|s| s.last4().to_owned()))
            .transpose()
            .map_err(|e| anyhow::anyhow!("stored SSN does not parse: {e}"))?,
        "address": address,
        "status": user.status,
        "kyc_status": user.kyc_status,
        "mfa_enabled": user.mfa_enabled != 0,
        "roles": store::users::roles(db.reader(), user_id).await?,
        "created_at": user.created_at,
    });
    let sessions = store::export::sessions(db.reader(), user_id).await?;
    let events = store::export::security_events(db.reader(), user_id).await?;
    let audit = store::export::audit_entries(db.reader(), user_id).await?;
    Ok(Some(json!({ "profile": profile, "sessions": sessions, "security_events": events, "audit": audit })))
}
