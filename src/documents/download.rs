//! Redeeming download links (made by [`super::share`]). Only a version's clean bytes are ever
//! served: the scanner's metadata-free copy of an image, or a PDF that passed its checks — to
//! its owner as uploaded, to staff as its [safe rendition](super::rendition).

use std::io;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::json;
use uuid::Uuid;

use super::Documents;
use super::cipher::{DataKey, Variant, key_place, stream_place};
use super::links::{self, Scope};
use super::model::FileKind;
use super::read::PlainReader;
use super::rendition::{self, RenditionLimits};
use super::store::scans;
use crate::audit::{self, Actor, Event};
use crate::error::{Error, Problem};

/// The decrypted file, for `GET /v1/files/{token}`.
pub struct Download {
    pub content_type: &'static str,
    /// ASCII, safe in `Content-Disposition: attachment; filename="…"`.
    pub filename: String,
    pub size: i64,
    pub body: Body,
}

/// The bytes of a download: the stored file, decrypted frame by frame, or a rendition made for
/// this download.
pub enum Body {
    Stored(PlainReader),
    Rendition(Vec<u8>),
}

impl Body {
    /// The plaintext as a stream of chunks (an HTTP body).
    pub fn into_stream(self) -> BoxStream<'static, Result<Vec<u8>, io::Error>> {
        match self {
            Self::Stored(reader) => reader.into_stream().boxed(),
            Self::Rendition(bytes) => futures::stream::once(async move { Ok(bytes) }).boxed(),
        }
    }
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("content_type", &self.content_type).field("size", &self.size).finish()
    }
}

impl Documents {
    /// Redeems a link: the clean bytes of the exact version it names, audited. Every refusal —
    /// expired, altered, someone else's (`presenter` is the authenticated caller, if any), no
    /// longer readable — is the same 404.
    #[tracing::instrument(skip_all)]
    pub async fn download(&self, actor: &Actor, token: &str, presenter: Option<Uuid>) -> Result<Download, Error> {
        let gone = || Error::from(Problem::not_found("file"));
        let grant = links::verify(&self.keys.mac, token, Utc::now()).ok_or_else(gone)?;
        if presenter.is_some_and(|p| p != grant.user_id) {
            return Err(gone());
        }
        let mut conn = self.db.reader().acquire().await?;
        let stored = scans::stored(&mut conn, grant.version_id).await?.ok_or_else(gone)?;
        if grant.scope == Scope::Owner && stored.owner_id != grant.user_id {
            return Err(gone());
        }
        let scan = scans::scan(&mut conn, grant.version_id).await?.filter(|s| s.status == "clean").ok_or_else(gone)?;
        drop(conn);
        let (Some(blob_key), Some(sealed_key), Some(content_type), Some(size)) =
            (scan.clean_blob_key, scan.clean_data_key, scan.clean_content_type, scan.clean_size)
        else {
            return Err(anyhow::anyhow!("clean verdict without its file").into());
        };
        let kind = FileKind::from_mime(&content_type).ok_or_else(|| anyhow::anyhow!("unknown clean content type"))?;
        // A PDF's clean file is its original.
        let variant = if blob_key == stored.blob_key { Variant::Original } else { Variant::Clean };
        let (document, version) = (stored.document_id.to_string(), grant.version_id.to_string());
        let key = DataKey::unwrap(&self.keys.encryption, &sealed_key, &key_place(&document, &version, variant))
            .map_err(anyhow::Error::from)?;
        let stored_body =
            PlainReader::open(self.files.as_ref(), &blob_key, &key, stream_place(&document, &version, variant))
                .await
                .map_err(anyhow::Error::from)?;
        let rendition = grant.scope == Scope::Staff && kind == FileKind::Pdf;
        let (body, size) = if rendition {
            let bytes = self.safe_rendition(stored_body).await?;
            let size = i64::try_from(bytes.len()).map_err(anyhow::Error::from)?;
            (Body::Rendition(bytes), size)
        } else {
            (Body::Stored(stored_body), size)
        };

        let mut tx = self.db.begin().await?;
        let event = Event {
            action: "document.download",
            target_type: "document_version",
            target_id: Some(version.clone()),
            old: None,
            new: Some(json!({
                "document_id": document,
                "user_id": grant.user_id,
                "as_staff": grant.scope == Scope::Staff,
                "rendition": if rendition { "safe" } else { "original" },
            })),
        };
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(Download { content_type: kind.mime(), filename: filename(&stored.name, stored.version, kind), size, body })
    }

    /// The safe rendition of a stored PDF, made on a parser thread under the scanner's limits.
    async fn safe_rendition(&self, stored: PlainReader) -> Result<Vec<u8>, Error> {
        let settings = &self.scan_settings;
        let bytes = stored.read_all(settings.pdf_max_bytes).await.map_err(anyhow::Error::from)?;
        let limits = RenditionLimits {
            inflate: settings.max_inflated_bytes,
            parse_timeout: Duration::from_millis(settings.pdf_parse_timeout_ms),
        };
        let rendered = tokio::task::spawn_blocking(move || rendition::safe_pdf(bytes, limits))
            .await
            .map_err(anyhow::Error::from)?;
        // The file passed the scan with these same limits: failing now is the server's fault.
        Ok(rendered.map_err(|problem| anyhow::anyhow!("safe rendition of a clean PDF: {problem:?}"))?)
    }
}

/// `<name>-v<version>.<ext>`, the name reduced to ASCII letters, digits, `-` and `_`.
pub fn filename(name: &str, version: i64, kind: FileKind) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    if safe.trim_matches('_').is_empty() {
        safe = "document".to_owned();
    }
    format!("{safe}-v{version}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_safe_in_a_header() {
        assert_eq!(filename("passport", 2, FileKind::Jpeg), "passport-v2.jpg");
        assert_eq!(filename("a\"b/c\r\nd é", 1, FileKind::Pdf), "a_b_c__d__-v1.pdf");
        assert_eq!(filename("///", 1, FileKind::Png), "document-v1.png");
    }
}
