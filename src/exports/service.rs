//! The exports service: requesting an export (a row, its audit entry and its job in one
//! transaction), staff looking one up, and the download its signed link opens.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use tresor_jobs::{BuildExport, Store};
use uuid::Uuid;

use super::link::{self, ExportLink};
use super::model::{Export, ExportKind, ExportStatus, Format};
use super::store;
use crate::audit::query::AuditFilter;
use crate::audit::{self, Actor, Audit, Event};
use crate::config::ExportSettings;
use crate::crypto::{Keys, aead};
use crate::db::Db;
use crate::error::{Error, Problem};

/// What a request asks for.
pub struct Request {
    pub kind: ExportKind,
    pub user_id: Uuid,
    pub format: Format,
    pub filters: Option<serde_json::Value>,
}

/// What `GET /v1/exports/{token}` serves.
pub struct Download {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub filename: String,
}

/// An audit export as its requester sees it: the row, and the signed link once it is ready.
pub struct StaffExport {
    pub export: Export,
    pub url: Option<String>,
}

pub struct Exports {
    pub(super) db: Db,
    pub(super) keys: Arc<Keys>,
    pub(super) jobs: Store,
    pub(super) settings: ExportSettings,
    /// Base of download links (`TRESOR_PUBLIC_URL`).
    pub(super) public_url: String,
    /// The chain that audit exports read.
    pub(super) audit: Audit,
}

/// Associated data of an export's sealed file.
pub(super) fn associated(id: Uuid) -> String {
    aead::associated_data("exports", "payload", &id.to_string())
}

/// An export's sealed file, sealed again under the ring's active key (key rotation).
pub fn reseal(ring: &crate::crypto::KeyRing, id: &Uuid, sealed: &str) -> anyhow::Result<String> {
    let plain = aead::open(ring, sealed, &associated(*id))?;
    Ok(aead::seal(ring, &plain, &associated(*id)))
}

impl Exports {
    pub fn new(
        db: Db,
        keys: Arc<Keys>,
        jobs: Store,
        settings: ExportSettings,
        public_url: String,
        audit: Audit,
    ) -> Self {
        Self { db, keys, jobs, settings, public_url, audit }
    }

    /// Records the request, its audit entry and its job in one transaction; returns the export id.
    pub async fn request(&self, request: Request, actor: &Actor) -> Result<Uuid, Error> {
        let mut tx = self.db.begin().await?;
        let id =
            store::insert(&mut tx, request.kind, request.user_id, request.format, request.filters.as_ref()).await?;
        let event = Event {
            action: "export.requested",
            target_type: "export",
            target_id: Some(id.to_string()),
            old: None,
            new: Some(json!({
                "kind": request.kind.as_str(),
                "user_id": request.user_id,
                "format": request.format.as_str(),
                "filters": request.filters,
                "status": "pending",
            })),
        };
        audit::record(&mut tx, actor, event).await?;
        let deferred = self.jobs.enqueue_in(&mut tx, &BuildExport { export_id: id }).await?;
        tx.commit().await?;
        // On Redis the job is pushed after the commit; if that fails the sweeper pushes it later.
        deferred.after_commit(&self.jobs).await;
        Ok(id)
    }

    /// Asks for an export of the audit entries matching `filters`, for the staff member `staff_id`.
    pub async fn request_audit(
        &self,
        staff_id: Uuid,
        actor: &Actor,
        format: Format,
        filters: AuditFilter,
    ) -> Result<Uuid, Error> {
        if let (Some(from), Some(to)) = (filters.from, filters.to)
            && from >= to
        {
            return Err(Problem::bad_request("filters.from must be before filters.to").into());
        }
        let filters = serde_json::to_value(&filters).map_err(|e| Error::Internal(e.into()))?;
        let request = Request { kind: ExportKind::Audit, user_id: staff_id, format, filters: Some(filters) };
        self.request(request, actor).await
    }

    /// An audit export `staff_id` asked for, with its download link once ready; `None` for
    /// anyone else's (alike with a missing one).
    pub async fn staff_export(&self, staff_id: Uuid, id: Uuid) -> Result<Option<StaffExport>, Error> {
        let found = store::find(self.db.reader(), id).await?;
        let Some(export) = found.filter(|e| e.kind == ExportKind::Audit && e.user_id == staff_id) else {
            return Ok(None);
        };
        let url = match (export.status, export.expires_at) {
            (ExportStatus::Ready, Some(expires_at)) if expires_at > Utc::now() => {
                Some(self.link(ExportLink { export_id: export.id, user_id: export.user_id }, expires_at))
            }
            _ => None,
        };
        Ok(Some(StaffExport { export, url }))
    }

    /// The absolute URL of a signed download link.
    pub(super) fn link(&self, export: ExportLink, expires_at: DateTime<Utc>) -> String {
        link::url(&self.public_url, &link::sign(&self.keys.mac, export, expires_at))
    }

    /// Opens the export a link names, if the link is valid and the export ready and unexpired;
    /// audits the download. Every other case is `None` (the caller answers 404).
    pub async fn download(&self, token: &str, actor: Actor) -> Result<Option<Download>, Error> {
        let now = Utc::now();
        let Some(link) = link::verify(&self.keys.mac, token, now) else { return Ok(None) };
        let Some((export, sealed)) = store::payload(self.db.reader(), link.export_id, now).await? else {
            return Ok(None);
        };
        if export.user_id != link.user_id {
            return Ok(None);
        }
        let bytes = aead::open(&self.keys.encryption, &sealed, &associated(export.id))
            .map_err(|e| Error::Internal(anyhow::anyhow!("export {} does not open: {e}", export.id)))?;
        let mut tx = self.db.begin().await?;
        let event = Event {
            action: "export.downloaded",
            target_type: "export",
            target_id: Some(export.id.to_string()),
            old: None,
            new: Some(json!({"kind": export.kind.as_str(), "user_id": export.user_id})),
        };
        audit::record(&mut tx, &Actor { user_id: Some(link.user_id), ..actor }, event).await?;
        tx.commit().await?;
        let filename = format!("tresor-{}-export-{}.{}", export.kind.as_str(), export.id, export.format.as_str());
        Ok(Some(Download { bytes, format: export.format, filename }))
    }
}
