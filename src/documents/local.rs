//! The default [`DocumentStore`]: files under `$TRESOR_DATA_DIR/documents/`, owner-only, written
//! to a temporary name, synced, then renamed into place, so a crash never leaves half a file under
//! a real key.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::blob::{BlobWriter, DocumentStore, check_key};

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Creates the folder (owner-only) if needed.
    pub fn open(root: &Path) -> io::Result<Self> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(root)?;
        Ok(Self { root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl DocumentStore for LocalStore {
    async fn create(&self, key: &str) -> io::Result<Box<dyn BlobWriter>> {
        let target = self.path(key)?;
        let temp = self.root.join(format!(".partial-{}", uuid::Uuid::new_v4().simple()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&temp).await?;
        Ok(Box::new(LocalWriter { file: Some(file), temp, target, root: self.root.clone() }))
    }

    async fn open(&self, key: &str) -> io::Result<Box<dyn AsyncRead + Send + Unpin>> {
        Ok(Box::new(File::open(self.path(key)?).await?))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

struct LocalWriter {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
    root: PathBuf,
}

#[async_trait]
impl BlobWriter for LocalWriter {
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.write_all(bytes).await,
            None => Err(io::Error::other("document file already committed")),
        }
    }

    async fn commit(mut self: Box<Self>) -> io::Result<()> {
        let mut file = self.file.take().ok_or_else(|| io::Error::other("document file already committed"))?;
        let result = async {
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            fs::rename(&self.temp, &self.target).await?;
            // The rename itself must survive a crash too.
            File::open(&self.root).await?.sync_all().await
        }
        .await;
        if result.is_err() {
            let _ = fs::remove_file(&self.temp).await;
        }
        result
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Not committed: the partial file must not outlive the upload that wrote it.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
