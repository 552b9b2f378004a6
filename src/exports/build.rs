//! Building an export (the `build_export` job): the file, sealed into its row, and for a user's
//! export the email with its link, all in one transaction.

use chrono::Utc;
use serde_json::json;
use tresor_jobs::JobError;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::content::{self, Built};
use super::link::ExportLink;
use super::model::{ExportKind, ExportStatus};
use super::service::{Exports, associated};
use super::store;
use crate::audit::{self, Actor, Event};
use crate::crypto::aead;
use crate::identity;

impl Exports {
    /// The `build_export` job: builds the file, seals it into the row and, for a user's export,
    /// mails the link — all in one transaction, so a retry after a crash starts over cleanly and a
    /// finished export is never built or mailed twice.
    pub async fn build(&self, id: Uuid) -> Result<(), JobError> {
        self.build_once(id).await
    }

    /// `build` as attempt `attempt` of `max_attempts`: when the last attempt fails, the export
    /// is marked `failed` (with the error, for staff) rather than left `pending` for ever.
    pub async fn attempt(&self, id: Uuid, attempt: usize, max_attempts: usize) -> Result<(), JobError> {
        let outcome = self.build_once(id).await;
        if let Err(error) = &outcome
            && (error.is_permanent() || attempt >= max_attempts)
        {
            store::fail(self.db.writer(), id, &format!("gave up: {error}")).await?;
        }
        outcome
    }

    #[tracing::instrument(skip_all, fields(export = %id))]
    async fn build_once(&self, id: Uuid) -> Result<(), JobError> {
        let Some(export) = store::find(self.db.reader(), id).await? else {
            return Err(JobError::permanent(format!("export {id} does not exist")));
        };
        if export.status != ExportStatus::Pending {
            return Ok(());
        }
        let bytes =
            match content::build(&self.db, &self.audit, &self.keys, &export).await.map_err(JobError::retryable)? {
                Built::File(bytes) => bytes,
                Built::Never(reason) => {
                    store::fail(self.db.writer(), id, &reason.to_string()).await?;
                    tracing::warn!(%reason, "export cannot be built");
                    return Ok(());
                }
            };
        let expires_at = Utc::now() + self.settings.ttl();
        let sealed = aead::seal(&self.keys.encryption, &bytes, &associated(id));
        let mut tx = self.db.begin().await?;
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
        audit::record(&mut tx, &Actor::system(), event).await?;
        let mut mail = None;
        if export.kind == ExportKind::User {
            let user = identity::store::users::find(&mut *tx, export.user_id).await?;
            if let Some((email, full_name)) = user.and_then(|u| u.email.map(|e| (e, u.full_name))) {
                let data = json!({
                    "full_name": full_name,
                    "link": self.link(ExportLink { export_id: id, user_id: export.user_id }, expires_at),
                    "expires_at": identity::emails::when(expires_at),
                });
                let email = Email { to: email, template: Template::ExportReady, data };
                mail = Some(crate::mail::send(&mut tx, &self.keys.encryption, &self.jobs, email).await?.1);
            }
        }
        tx.commit().await?;
        if let Some(deferred) = mail {
            deferred.after_commit(&self.jobs).await;
        }
        metrics::counter!("exports_built_total", "kind" => export.kind.as_str()).increment(1);
        Ok(())
    }
}
