//! The KYC service: what `/v1/kyc` and the staff review endpoints call. Each method is one
//! transaction holding the change, its audit entry and its effects (the staff notification of a
//! submission, the email of a decision).

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use tresor_jobs::Store;
use uuid::Uuid;

use super::error::KycError;
use super::queue::QueueEntry;
use super::{Decision, KycState, effects, flow, store};
use crate::audit::{self, Actor, Event};
use crate::crypto::Keys;
use crate::db::Db;
use crate::documents::{Access, DocumentVersion, Documents};
use crate::identity::Identity;

pub struct Kyc {
    pub(super) db: Db,
    keys: Arc<Keys>,
    jobs: Store,
    /// The queue shows each waiting user's documents.
    pub(super) documents: Documents,
    /// The identity a customer declared, for reviewers (`declared_identity`).
    identity: Arc<Identity>,
}

/// What a customer declared about themselves, beside their KYC documents, for a reviewer with
/// `pii:read` (`GET /v1/admin/users/{id}/identity`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeclaredIdentity {
    pub user_id: Uuid,
    pub full_name: String,
    pub date_of_birth: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub address: Option<serde_json::Value>,
    pub ssn_last4: Option<String>,
    pub phone: Option<String>,
    pub kyc_status: String,
    pub documents: Vec<DocumentVersion>,
}

impl Kyc {
    pub fn new(db: Db, keys: Arc<Keys>, jobs: Store, documents: Documents, identity: Arc<Identity>) -> Self {
        Self { db, keys, jobs, documents, identity }
    }

    /// The identity `user_id` declared, with their documents; recorded in the audit chain as a
    /// read of personal data by `staff` (404 for an unknown or deleted user).
    pub async fn declared_identity(
        &self,
        staff: &Actor,
        user_id: Uuid,
    ) -> Result<DeclaredIdentity, crate::error::Error> {
        let profile = self.identity.profile(user_id).await?;
        let documents = self.documents.list(&Access::Owner(user_id)).await?;
        let event = Event {
            action: "pii.read",
            target_type: "user",
            target_id: Some(user_id.to_string()),
            old: None,
            new: Some(
                json!({"fields": ["full_name", "date_of_birth", "address", "ssn_last4", "phone"], "purpose": "kyc_review"}),
            ),
        };
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, staff, event).await?;
        tx.commit().await?;
        Ok(DeclaredIdentity {
            user_id,
            full_name: profile.full_name,
            date_of_birth: profile.date_of_birth,
            address: profile.address,
            ssn_last4: profile.ssn_last4,
            phone: profile.phone,
            kyc_status: profile.kyc_status,
            documents,
        })
    }

    /// Submissions awaiting review and how long the oldest has waited, in seconds (metrics).
    pub async fn queue_level(&self) -> Result<(i64, i64), KycError> {
        let (waiting, oldest) = store::queue_level(self.db.reader()).await?;
        let age = oldest.map_or(0, |at| (chrono::Utc::now() - at).num_seconds().max(0));
        Ok((waiting, age))
    }

    /// Where the user stands (`GET /v1/kyc`).
    pub async fn state(&self, user_id: Uuid) -> Result<KycState, KycError> {
        let mut conn = self.db.reader().acquire().await?;
        Ok(store::latest(&mut conn, user_id).await?.map_or(flow::NOT_STARTED, |l| l.state))
    }

    /// Submits the user's clean identity documents for review; staff are notified.
    pub async fn submit(&self, actor: &Actor, user_id: Uuid) -> Result<KycState, KycError> {
        let mut tx = self.db.begin().await?;
        let submitted = flow::submit(&mut tx, actor, user_id).await?;
        effects::submitted(&mut tx, user_id).await?;
        tx.commit().await?;
        self.identity.profile_changed(user_id).await;
        Ok(submitted)
    }

    /// Records `reviewer_id`'s decision on the user's pending submission and emails the user.
    /// Nobody reviews their own submission.
    pub async fn review(
        &self,
        actor: &Actor,
        reviewer_id: Uuid,
        user_id: Uuid,
        decision: Decision,
        reason: Option<&str>,
    ) -> Result<KycState, KycError> {
        if user_id == reviewer_id {
            return Err(KycError::OwnSubmission);
        }
        let reason = flow::reason(decision, reason)?;
        let mut tx = self.db.begin().await?;
        let decided = flow::review(&mut tx, actor, reviewer_id, user_id, decision, reason).await?;
        let email = effects::reviewed(&mut tx, &self.keys.encryption, &self.jobs, user_id, &decided).await?;
        tx.commit().await?;
        self.identity.profile_changed(user_id).await;
        email.after_commit(&self.jobs).await;
        Ok(decided)
    }

    /// Users awaiting review, oldest first, each with the latest version of every document.
    pub async fn queue(&self, limit: i64) -> Result<Vec<QueueEntry>, KycError> {
        let mut entries = Vec::new();
        for (user_id, submitted_at) in store::queue(self.db.reader(), limit).await? {
            let documents = self.documents.list(&Access::Owner(user_id)).await?;
            entries.push(QueueEntry { user_id, submitted_at, documents });
        }
        Ok(entries)
    }

    /// [`Self::queue`] as staff read it: the read is audited (`admin.kyc.list`, naming the users).
    pub async fn review_queue(&self, staff: &Actor, limit: i64) -> Result<Vec<QueueEntry>, KycError> {
        let items = self.queue(limit).await?;
        let detail = json!({ "users": items.iter().map(|e| e.user_id).collect::<Vec<_>>() });
        let event = Event {
            action: "admin.kyc.list",
            target_type: "kyc_submission",
            target_id: None,
            old: None,
            new: Some(detail),
        };
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, staff, event).await?;
        tx.commit().await?;
        Ok(items)
    }
}
