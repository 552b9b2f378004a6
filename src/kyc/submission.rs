//! One submission as a reviewer opens it (the console's review page): the waiting entry, a
//! short-lived link to each of its documents, and — for a reviewer who may read personal data —
//! the identity the customer declared.

use uuid::Uuid;

use super::queue::QueueEntry;
use super::service::{DeclaredIdentity, Kyc};
use super::store;
use crate::audit::{self, Actor, Event};
use crate::documents::{Access, DocumentVersion, SignedLink};
use crate::error::{Error, Problem};

/// A submission awaiting review, ready to be shown.
#[derive(Debug)]
pub struct Submission {
    pub entry: QueueEntry,
    /// Each document's latest version with a link to it.
    pub documents: Vec<(DocumentVersion, SignedLink)>,
    /// Only for a reviewer with `pii:read` (the read is audited as `pii.read`).
    pub identity: Option<DeclaredIdentity>,
}

impl Kyc {
    /// The submission of `user_id` awaiting review, opened by `reviewer_id`; 404 when nothing of
    /// theirs awaits. `pii_reader` is the reviewer's `pii:read` actor, when they hold it. The
    /// opening is audited (`admin.kyc.read`).
    pub async fn review_submission(
        &self,
        staff: &Actor,
        reviewer_id: Uuid,
        user_id: Uuid,
        pii_reader: Option<&Actor>,
    ) -> Result<Submission, Error> {
        let submitted_at = store::waiting_since(self.db.reader(), user_id)
            .await?
            .ok_or_else(|| Problem::not_found("a submission of this user awaiting review"))?;
        let owned = self.documents.list(&Access::Owner(user_id)).await?;
        let mut documents = Vec::with_capacity(owned.len());
        for document in &owned {
            let link = self.documents.link(reviewer_id, &Access::Staff, document.id, Some(document.version)).await?;
            documents.push((document.clone(), link));
        }
        let event = Event {
            action: "admin.kyc.read",
            target_type: "kyc_submission",
            target_id: Some(user_id.to_string()),
            old: None,
            new: None,
        };
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, staff, event).await?;
        tx.commit().await?;
        let identity = match pii_reader {
            Some(reader) => Some(self.declared_identity(reader, user_id).await?),
            None => None,
        };
        Ok(Submission { entry: QueueEntry { user_id, submitted_at, documents: owned }, documents, identity })
    }
}
