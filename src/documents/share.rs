//! Making a download link for a version: only the reader it is for may use it, only for that
//! version, only while it is fresh, and only once the scanner has found the version clean.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Documents;
use super::access::Access;
use super::links::{self, Grant, Scope};
use super::model::ScanStatus;
use super::store::versions;

/// Why no link was made (`src/http/documents.rs` says how each reads as a problem).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such document")]
    NoDocument,
    #[error("no such document version")]
    NoVersion,
    /// Still being scanned, or rejected; the text says which (and why).
    #[error("{0}")]
    NotClean(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// A link for `POST /v1/documents/{id}/download`: `url` is `<public url>/v1/files/<token>`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignedLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

impl Documents {
    /// A link to `version` (default: the latest) of `document_id` for the user `user_id` reading
    /// as `access`: an owner gets no link to a document that is not theirs, nobody gets one to a
    /// version that is not clean.
    #[tracing::instrument(skip_all, fields(%document_id))]
    pub async fn link(
        &self,
        user_id: Uuid,
        access: &Access,
        document_id: Uuid,
        version: Option<i64>,
    ) -> Result<SignedLink, LinkError> {
        let versions = versions::versions(self.db.reader(), access, document_id).await?;
        if versions.is_empty() {
            return Err(LinkError::NoDocument);
        }
        let chosen = versions.into_iter().find(|v| version.is_none_or(|n| v.version == n));
        let version = chosen.ok_or(LinkError::NoVersion)?;
        if version.status != ScanStatus::Clean {
            return Err(LinkError::NotClean(match version.status {
                ScanStatus::PendingScan => "the document is still being scanned; try again shortly".to_owned(),
                _ => format!("the document was rejected: {}", version.rejection_reason.unwrap_or_default()),
            }));
        }
        let ttl = Duration::seconds(i64::try_from(self.settings.link_ttl_secs).unwrap_or(300));
        let expires_at = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now) + ttl;
        let scope = match access {
            Access::Owner(_) => Scope::Owner,
            Access::Staff => Scope::Staff,
        };
        let token = links::sign(&self.keys.mac, &Grant { version_id: version.version_id, user_id, scope, expires_at });
        Ok(SignedLink { url: format!("{}/v1/files/{token}", self.public_url), expires_at })
    }
}
