//! A user's KYC history (every submission and its review), for their data export.

use serde_json::Value;
use sqlx::AnyPool;
use uuid::Uuid;

use super::store;

/// Every submission of `user_id`, oldest first: `{seq, submitted_at, document_version_ids,
/// decision, reason, reviewed_at}`.
pub async fn of_user(pool: &AnyPool, user_id: Uuid) -> anyhow::Result<Vec<Value>> {
    store::history(pool, user_id)
        .await?
        .into_iter()
        .map(|entry| {
            let versions: Value = serde_json::from_str(&entry.document_version_ids)?;
            Ok(serde_json::json!({
                "seq": entry.seq,
                "submitted_at": entry.submitted_at,
                "document_version_ids": versions,
                "decision": entry.decision,
                "reason": entry.reason,
                "reviewed_at": entry.reviewed_at,
            }))
        })
        .collect()
}
