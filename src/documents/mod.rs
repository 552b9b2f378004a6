//! KYC documents: upload (streamed, typed by content, encrypted chunk by chunk under a data key
//! of each version's own), immutable versions, the scanner, and signed download links.
//!
//! The HTTP layer stays thin: `POST /v1/documents` parses the multipart fields and hands the
//! `file` field's byte stream to [`Documents::upload`], which records the version and enqueues
//! its `scan_document` job in one transaction; the job calls [`scan::scan_document`];
//! `GET /v1/files/{token}` streams [`Documents::download`]. The SQL lives in [`store`], the
//! encrypted files behind a [`DocumentStore`].

mod access;
pub mod blob;
pub mod chunks;
pub mod cipher;
pub mod download;
pub mod links;
pub mod local;
pub mod model;
pub mod read;
pub mod rendition;
pub mod rewrap;
pub mod s3;
pub mod scan;
mod share;
pub mod sniff;
pub mod store;
pub mod upload;
pub mod upload_error;
mod write;

use std::sync::Arc;

use anyhow::Context;
use uuid::Uuid;

use crate::config::{Config, DocumentBackend, DocumentSettings, ScanSettings};
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::{Error, Problem};
pub use access::Access;
pub use blob::DocumentStore;
pub use local::LocalStore;
pub use model::{DocumentType, DocumentVersion, FileKind, ScanStatus};
pub use s3::S3Store;
pub use scan::{ScanError, ScanOutcome, scan_document};
pub use share::{LinkError, SignedLink};
pub use upload::{NewUpload, UploadError};

/// The documents service: what handlers and the scan job are given.
#[derive(Clone)]
pub struct Documents {
    pub db: Db,
    /// Where the encrypted files live (the SQL is in [`store`]).
    pub files: Arc<dyn DocumentStore>,
    pub keys: Arc<Keys>,
    pub settings: DocumentSettings,
    pub scan_settings: ScanSettings,
    /// Turns to scan: at most `[scan] concurrency` scans of this process hold their memory at once.
    pub scan_permits: Arc<tokio::sync::Semaphore>,
    /// Base of signed links (`TRESOR_PUBLIC_URL`).
    pub public_url: String,
    /// Where each upload's `scan_document` job goes (in the upload's transaction when the queue
    /// lives in the database).
    pub jobs: tresor_jobs::Store,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").field("files", &self.files).finish_non_exhaustive()
    }
}

impl Documents {
    /// The service over the configured store: the local folder (`[documents] dir`, default
    /// `<data_dir>/documents`) or the S3 bucket (`[documents.s3]`).
    pub fn open(config: &Config, db: Db, keys: Arc<Keys>, jobs: tresor_jobs::Store) -> anyhow::Result<Self> {
        let settings = config.settings.documents.clone();
        let files: Arc<dyn DocumentStore> = match settings.store {
            DocumentBackend::Local => {
                let dir = match settings.dir.trim() {
                    "" => config.data_dir.join("documents"),
                    dir => std::path::PathBuf::from(dir),
                };
                Arc::new(
                    LocalStore::open(&dir).with_context(|| format!("opening the document folder {}", dir.display()))?,
                )
            }
            DocumentBackend::S3 => Arc::new(S3Store::open(&settings.s3)?),
        };
        Ok(Self {
            db,
            files,
            keys,
            settings,
            scan_settings: config.settings.scan.clone(),
            scan_permits: Arc::new(tokio::sync::Semaphore::new(config.settings.scan.concurrency.max(1) as usize)),
            public_url: config.public_url.clone(),
            jobs,
        })
    }

    /// The latest version of each document `access` may read.
    pub async fn list(&self, access: &Access) -> Result<Vec<DocumentVersion>, sqlx::Error> {
        store::versions::latest(self.db.reader(), access).await
    }

    /// The latest version of one document; 404 when missing or not the caller's.
    pub async fn get(&self, access: &Access, document_id: Uuid) -> Result<DocumentVersion, Error> {
        self.versions(access, document_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Problem::not_found("document").into())
    }

    /// Every version, newest first; 404 when missing or not the caller's.
    pub async fn versions(&self, access: &Access, document_id: Uuid) -> Result<Vec<DocumentVersion>, Error> {
        let versions = store::versions::versions(self.db.reader(), access, document_id).await?;
        if versions.is_empty() {
            return Err(Problem::not_found("document").into());
        }
        Ok(versions)
    }

    /// The largest upload accepted, in bytes (the HTTP layer refuses a longer body up front).
    pub fn max_upload_bytes(&self) -> u64 {
        self.settings.max_upload_bytes
    }

    /// Versions that have no verdict yet and were uploaded before `before` (the scan sweeper).
    pub async fn pending_scans(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        store::versions::pending_scans(self.db.reader(), before, limit).await
    }

    /// Scans one version (the scan job's body).
    pub async fn scan(&self, version_id: Uuid) -> Result<ScanOutcome, ScanError> {
        let _turn = self.scan_permits.acquire().await.map_err(|e| ScanError::Failed(e.into()))?;
        scan_document(self.files.as_ref(), &self.db, &self.keys, &self.scan_settings, version_id).await
    }
}
