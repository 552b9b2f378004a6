//! Receiving a file: streamed straight through SHA-256 and the chunk encryptor into the store,
//! holding at most one chunk, refused as soon as it passes the size limit (the rest is never
//! read), and typed by its first bytes before anything is written.

use futures::{Stream, StreamExt};
use serde_json::json;
use sha2::{Digest, Sha256};
use tresor_jobs::ScanDocument;
use uuid::Uuid;

use super::Documents;
use super::blob::BlobWriter;
use super::chunks::Sealer;
use super::cipher::{DataKey, FRAME, Variant, key_place, stream_place};
use super::model::{DocumentType, DocumentVersion, FileKind};
use super::sniff::{SNIFF_LEN, sniff};
use super::store::slots;
use super::store::versions::{self, NewVersion};
pub use super::upload_error::{UploadError, parse_name};
use crate::audit::{self, Actor, Event};

/// What the client said about the file (the multipart fields other than `file`).
#[derive(Clone, Debug)]
pub struct NewUpload {
    pub owner_id: Uuid,
    pub document_type: DocumentType,
    /// Defaults to the document type's name; the same name and type makes a new version.
    pub name: Option<String>,
}

impl Documents {
    /// Stores `body` as the next version of the caller's document (type, name) and answers its
    /// record, `pending_scan`. Its `scan_document` job is enqueued in the same transaction as the
    /// row (on Redis just after the commit; the sweeper catches a crash in between).
    #[tracing::instrument(skip_all, fields(owner_id = %upload.owner_id, document_type = upload.document_type.as_str()))]
    pub async fn upload<S, B, E>(
        &self,
        actor: &Actor,
        upload: NewUpload,
        body: S,
    ) -> Result<DocumentVersion, UploadError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let name = parse_name(upload.name.as_deref(), upload.document_type)?;
        let mut body = body;
        let mut head = Vec::with_capacity(SNIFF_LEN);
        while head.len() < SNIFF_LEN {
            match body.next().await {
                Some(piece) => head.extend_from_slice(piece.map_err(|e| UploadError::Body(e.to_string()))?.as_ref()),
                None => break,
            }
        }
        let kind = sniff(&head).map_err(|seen| UploadError::Unsupported { seen })?;

        let document_id = slots::document_slot(self.db.writer(), upload.owner_id, upload.document_type, &name)
            .await
            .map_err(anyhow::Error::from)?;
        let version_id = Uuid::now_v7();
        let (document, version) = (document_id.to_string(), version_id.to_string());
        let blob_key = format!("{version}.{}", Variant::Original.as_str());
        let data_key = DataKey::generate();
        let mut writer = self.files.create(&blob_key).await.map_err(anyhow::Error::from)?;
        let written = self.write_encrypted(&mut writer, &data_key, &document, &version, head, body).await?;
        writer.commit().await.map_err(anyhow::Error::from)?;

        let sealed_key = data_key.wrap(&self.keys.encryption, &key_place(&document, &version, Variant::Original));
        let new = NewVersion {
            id: version_id,
            document_id,
            content_type: kind.mime(),
            size: written.size,
            sha256: &written.sha256,
            blob_key: &blob_key,
            data_key: &sealed_key,
            uploaded_by: upload.owner_id,
        };
        match self.record(actor, &new, kind).await {
            Ok(record) => Ok(record),
            Err(error) => {
                // The row never committed: its file must not linger as an orphan.
                let _ = self.files.delete(&blob_key).await;
                Err(error.into())
            }
        }
    }

    async fn write_encrypted<S, B, E>(
        &self,
        writer: &mut Box<dyn BlobWriter>,
        key: &DataKey,
        document: &str,
        version: &str,
        head: Vec<u8>,
        mut body: S,
    ) -> Result<Written, UploadError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let limit = self.settings.max_upload_bytes;
        let (mut sealer, header) = Sealer::new(key, stream_place(document, version, Variant::Original));
        let mut out = header;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut piece = Some(head);
        while let Some(bytes) = piece.take() {
            size += bytes.len() as u64;
            if size > limit {
                return Err(UploadError::TooLarge { limit });
            }
            hasher.update(&bytes);
            sealer.push(&bytes, &mut out).map_err(anyhow::Error::from)?;
            if out.len() >= FRAME {
                writer.write(&out).await.map_err(anyhow::Error::from)?;
                out.clear();
            }
            piece = match body.next().await {
                Some(next) => Some(next.map_err(|e| UploadError::Body(e.to_string()))?.as_ref().to_vec()),
                None => None,
            };
        }
        sealer.finish(&mut out).map_err(anyhow::Error::from)?;
        writer.write(&out).await.map_err(anyhow::Error::from)?;
        let size = i64::try_from(size).map_err(anyhow::Error::from)?;
        Ok(Written { size, sha256: hex::encode(hasher.finalize()) })
    }

    async fn record(&self, actor: &Actor, new: &NewVersion<'_>, kind: FileKind) -> anyhow::Result<DocumentVersion> {
        let mut tx = self.db.begin().await?;
        let number = versions::insert_version(&mut tx, new).await?;
        let event = Event {
            action: "document.upload",
            target_type: "document_version",
            target_id: Some(new.id.to_string()),
            old: None,
            new: Some(json!({
                "document_id": new.document_id,
                "version": number,
                "content_type": kind.mime(),
                "size": new.size,
                "sha256": new.sha256,
            })),
        };
        audit::record(&mut tx, actor, event).await?;
        let scan = self.jobs.enqueue_in(&mut tx, &ScanDocument { version_id: new.id }).await?;
        let record =
            versions::version(&mut tx, new.id).await?.ok_or_else(|| anyhow::anyhow!("inserted version vanished"))?;
        tx.commit().await?;
        scan.after_commit(&self.jobs).await;
        Ok(record)
    }
}

struct Written {
    size: i64,
    sha256: String,
}
