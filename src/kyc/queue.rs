//! The staff queue (`GET /v1/admin/kyc`): users awaiting review, oldest first, with the latest
//! version of each of their documents.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::store;
use crate::db::Db;
use crate::documents::DocumentVersion;
use crate::documents::rows::{self, Access};
use crate::error::ApiError;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub user_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub documents: Vec<DocumentVersion>,
}

pub async fn queue(db: &Db, limit: i64) -> Result<Vec<QueueEntry>, ApiError> {
    let mut entries = Vec::new();
    for (user_id, submitted_at) in store::queue(db, limit).await? {
        let documents = rows::latest(db, &Access::Owner(user_id)).await?;
        entries.push(QueueEntry { user_id, submitted_at, documents });
    }
    Ok(entries)
}
