//! Requesting an export (a row and its job, in the caller's transaction) and building it (the
//! `build_export` job).

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use tresor_jobs::email::{Email, Template};
use tresor_jobs::{BuildExport, JobError, Store};
use uuid::Uuid;

use super::content::{self, Built};
use super::link::{self, ExportLink};
use super::store::{self, ExportKind, ExportStatus, Format};
use crate::audit::{self, Actor, Event};
use crate::config::Config;
use crate::crypto::Keys;
use crate::crypto::aead;
use crate::db::Db;
use crate::error::ApiError;
use crate::identity;
use crate::state::AppState;

fn associated(id: Uuid) -> String {
    aead::associated_data("exports", "payload", &id.to_string())
}

/// What a request asks for.
pub struct Request {
    pub kind: ExportKind,
    pub user_id: Uuid,
    pub format: Format,
    pub filters: Option<serde_json::Value>,
}

/// Records the request, its audit entry and its job in one transaction; returns the export id.
pub async fn request(state: &AppState, request: Request, actor: &Actor) -> Result<Uuid, ApiError> {
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, request.kind, request.user_id, request.format, request.filters.as_ref()).await?;
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
    audit::append(&mut tx, state.db.dialect(), actor, event).await?;
    let deferred = state.jobs.enqueue_in(&mut tx, &BuildExport { export_id: id }).await?;
    tx.commit().await?;
    // On Redis the job is pushed after the commit; if that fails the sweeper pushes it later.
    deferred.after_commit(&state.jobs).await;
    Ok(id)
}

/// What the `build_export` job needs of the application.
#[derive(Clone)]
pub struct Exporter {
    db: Db,
    keys: Arc<Keys>,
    config: Arc<Config>,
    jobs: Store,
}

impl Exporter {
    pub fn new(state: &AppState) -> Self {
        Self { db: state.db.clone(), keys: state.keys.clone(), config: state.config.clone(), jobs: state.jobs.clone() }
    }

    /// The `build_export` job: builds the file, seals it into the row and, for a user's export,
    /// mails the link — all in one transaction, so a retry after a crash starts over cleanly and a
    /// finished export is never built or mailed twice.
    pub async fn build(&self, id: Uuid) -> Result<(), JobError> {
        build(self, id).await
    }

    /// `build` as attempt `attempt` of `max_attempts`: when the last attempt fails, the export
    /// is marked `failed` (with the error, for staff) rather than left `pending` for ever.
    pub async fn attempt(&self, id: Uuid, attempt: usize, max_attempts: usize) -> Result<(), JobError> {
        let outcome = build(self, id).await;
        if let Err(error) = &outcome
            && (error.is_permanent() || attempt >= max_attempts)
        {
            store::fail(&self.db, id, &format!("gave up: {error}")).await?;
        }
        outcome
    }
}

#[tracing::instrument(skip_all, fields(export = %id))]
async fn build(state: &Exporter, id: Uuid) -> Result<(), JobError> {
    let Some(export) = store::find(&state.db, id).await? else {
        return Err(JobError::permanent(format!("export {id} does not exist")));
    };
    if export.status != ExportStatus::Pending {
        return Ok(());
    }
    let bytes = match content::build(&state.db, &state.keys, &export).await.map_err(JobError::retryable)? {
        Built::File(bytes) => bytes,
        Built::Never(reason) => {
            store::fail(&state.db, id, &reason.to_string()).await?;
            tracing::warn!(%reason, "export cannot be built");
            return Ok(());
        }
    };
    let expires_at = Utc::now() + state.config.settings.exports.ttl();
    let sealed = aead::seal(&state.keys.encryption, &bytes, &associated(id));
    let mut tx = state.db.begin().await?;
    if !store::finish(&mut tx, id, &sealed, bytes.len(), expires_at).await? {
        return Ok(());
    }
    let event = Event {
        action: "export.ready",
        target_type: "export",
        target_id: Some(id.to_string()),
        old: Some(json!({"status": "pending"})),
        new: Some(json!({"status": "ready", "size": bytes.len(), "expires_at": expires_at})),
    };
    audit::append(&mut tx, state.db.dialect(), &Actor::system(), event).await?;
    let mut mail = None;
    if export.kind == ExportKind::User {
        let user = identity::store::users::find(&mut *tx, export.user_id).await?;
        if let Some((email, full_name)) = user.and_then(|u| u.email.map(|e| (e, u.full_name))) {
            let token = link::sign(&state.keys.mac, ExportLink { export_id: id, user_id: export.user_id }, expires_at);
            let data = json!({
                "full_name": full_name,
                "link": link::url(&state.config.public_url, &token),
                "expires_at": identity::emails::when(expires_at),
            });
            let email = Email { to: email, template: Template::ExportReady, data };
            mail = Some(crate::mail::send(&mut tx, &state.keys.encryption, &state.jobs, email).await?.1);
        }
    }
    tx.commit().await?;
    if let Some(deferred) = mail {
        deferred.after_commit(&state.jobs).await;
    }
    metrics::counter!("exports_built_total", "kind" => export.kind.as_str()).increment(1);
    Ok(())
}

/// What `GET /v1/exports/{token}` serves.
pub struct Download {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub filename: String,
}

/// Opens the export a link names, if the link is valid and the export ready and unexpired;
/// audits the download. Every other case is `None` (the caller answers 404).
pub async fn download(state: &AppState, token: &str, actor: Actor) -> Result<Option<Download>, ApiError> {
    let now = Utc::now();
    let Some(link) = link::verify(&state.keys.mac, token, now) else { return Ok(None) };
    let Some((export, sealed)) = store::payload(&state.db, link.export_id, now).await? else { return Ok(None) };
    if export.user_id != link.user_id {
        return Ok(None);
    }
    let bytes = aead::open(&state.keys.encryption, &sealed, &associated(export.id))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("export {} does not open: {e}", export.id)))?;
    let mut tx = state.db.begin().await?;
    let event = Event {
        action: "export.downloaded",
        target_type: "export",
        target_id: Some(export.id.to_string()),
        old: None,
        new: Some(json!({"kind": export.kind.as_str(), "user_id": export.user_id})),
    };
    audit::append(&mut tx, state.db.dialect(), &Actor { user_id: Some(link.user_id), ..actor }, event).await?;
    tx.commit().await?;
    let filename = format!("tresor-{}-export-{}.{}", export.kind.as_str(), export.id, export.format.as_str());
    Ok(Some(Download { bytes, format: export.format, filename }))
}
