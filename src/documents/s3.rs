//! A [`DocumentStore`] on an S3-compatible bucket (`[documents] store = "s3"`), so web and worker
//! processes on different machines share the encrypted files. Objects are `<prefix>/<key>`;
//! they hold ciphertext only, like the local files.
//!
//! Writes stream through a buffered multipart upload: nothing is visible under a key until
//! `commit` completes it (a small file is one PUT at commit). An upload dropped before then
//! leaves at most an incomplete multipart upload, which the bucket's lifecycle rule for
//! incomplete uploads removes (docs/operations.md).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::blob::{BlobWriter, DocumentStore, check_key};
use crate::config::S3Settings;

#[derive(Clone)]
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credentials stay out of every log line.
        f.debug_struct("S3Store").field("bucket", &self.bucket).field("prefix", &self.prefix).finish()
    }
}

impl S3Store {
    /// The bucket as configured. Credentials left empty come from the environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, instance roles).
    pub fn open(settings: &S3Settings) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(settings.allow_http)
                    .with_timeout(Duration::from_secs(settings.timeout_secs))
                    .with_connect_timeout(Duration::from_secs(5)),
            )
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(settings.timeout_secs),
                ..RetryConfig::default()
            });
        if !settings.endpoint.trim().is_empty() {
            builder = builder.with_endpoint(settings.endpoint.trim());
        }
        if !settings.access_key_id.trim().is_empty() {
            builder = builder
                .with_access_key_id(settings.access_key_id.trim())
                .with_secret_access_key(settings.secret_access_key.expose_secret());
        }
        let store = builder.build().map_err(|e| anyhow::anyhow!("documents.s3: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            bucket: settings.bucket.clone(),
            prefix: settings.prefix.trim_matches('/').to_owned(),
        })
    }

    fn path(&self, key: &str) -> io::Result<Path> {
        check_key(key)?;
        let full = if self.prefix.is_empty() { key.to_owned() } else { format!("{}/{key}", self.prefix) };
        Path::parse(full).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }
}

fn io_error(error: object_store::Error) -> io::Error {
    io::Error::from(error)
}

#[async_trait]
impl DocumentStore for S3Store {
    async fn create(&self, key: &str) -> io::Result<Box<dyn BlobWriter>> {
        let writer = BufWriter::new(self.store.clone(), self.path(key)?);
        Ok(Box::new(S3Writer { writer }))
    }

    async fn open(&self, key: &str) -> io::Result<Box<dyn AsyncRead + Send + Unpin>> {
        let object = self.store.get(&self.path(key)?).await.map_err(io_error)?;
        let stream = object.into_stream().map_err(io_error);
        Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(io_error(error)),
        }
    }
}

struct S3Writer {
    writer: BufWriter,
}

#[async_trait]
impl BlobWriter for S3Writer {
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await
    }

    /// Completes the upload (one PUT for a small file). A failed completion leaves at most an
    /// incomplete multipart upload, invisible under the key.
    async fn commit(mut self: Box<Self>) -> io::Result<()> {
        self.writer.shutdown().await
    }
}
