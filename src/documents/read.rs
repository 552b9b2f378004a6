//! Reading a stored file back: frame by frame, each authenticated before any of its bytes are
//! handed out, holding at most two frames.

use std::io;

use futures::Stream;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::blob::DocumentStore;
use super::chunks::Opener;
use super::cipher::{CipherError, DataKey, FRAME, HEADER};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading the stored document: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error("the stored document is larger than {0} bytes")]
    TooLarge(u64),
}

/// Plaintext chunks of one stored file, in order.
pub struct PlainReader {
    source: Box<dyn AsyncRead + Send + Unpin>,
    opener: Opener,
    /// The frame read ahead: a frame is the last one only if nothing follows it.
    ahead: Option<Vec<u8>>,
    done: bool,
}

impl PlainReader {
    pub async fn open(
        store: &dyn DocumentStore,
        key: &str,
        data_key: &DataKey,
        aad: Vec<u8>,
    ) -> Result<Self, ReadError> {
        let mut source = store.open(key).await?;
        let header = fill(&mut source, HEADER).await?;
        let opener = Opener::new(data_key, aad, &header)?;
        let first = fill(&mut source, FRAME).await?;
        Ok(Self { source, opener, ahead: Some(first), done: false })
    }

    /// The next authenticated plaintext chunk, or `None` after the last.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let Some(frame) = self.ahead.take() else { return Ok(None) };
        let following = if frame.len() == FRAME { fill(&mut self.source, FRAME).await? } else { Vec::new() };
        let last = following.is_empty();
        let plain = self.opener.open(&frame, last);
        if last {
            self.done = true;
        } else {
            self.ahead = Some(following);
        }
        Ok(Some(plain?))
    }

    /// The whole plaintext, refusing files larger than `limit` (the scanner's path).
    pub async fn read_all(mut self, limit: u64) -> Result<Vec<u8>, ReadError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            if (all.len() + chunk.len()) as u64 > limit {
                return Err(ReadError::TooLarge(limit));
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// The plaintext as a stream of chunks (an HTTP body). A chunk that fails to authenticate
    /// ends the stream with an error, so the client sees a broken transfer, never forged bytes.
    pub fn into_stream(self) -> impl Stream<Item = Result<Vec<u8>, io::Error>> + Send + 'static {
        futures::stream::unfold(self, |mut reader| async move {
            match reader.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), reader)),
                Ok(None) => None,
                Err(error) => {
                    tracing::error!(%error, "stored document failed to decrypt while streaming");
                    reader.done = true;
                    Some((Err(io::Error::other("stored document is damaged")), reader))
                }
            }
        })
    }
}

/// Reads up to `len` bytes, fewer only at the end of the file.
async fn fill(source: &mut (dyn AsyncRead + Send + Unpin), len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    let mut filled = 0;
    while filled < len {
        let n = source.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(buf)
}
