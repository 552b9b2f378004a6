//! The staff queue (`GET /v1/admin/kyc`): users awaiting review, oldest first, with the latest
//! version of each of their documents.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::documents::DocumentVersion;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub user_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub documents: Vec<DocumentVersion>,
}
