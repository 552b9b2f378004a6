//! Asking clamd (ClamAV's daemon) about a file with its INSTREAM command, over a unix socket
//! or TCP: `zINSTREAM\0`, then chunks each prefixed with its length (4 bytes, big-endian), then a
//! zero length; clamd answers `stream: OK` or `stream: <signature> FOUND`.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Kept below clamd's default `StreamMaxLength` chunking expectations.
const CHUNK: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum ClamdAnswer {
    Clean,
    Found(String),
}

/// Scans `bytes` with the clamd at `address` (a unix socket path, or `host:port`). Unreachable,
/// slow or confused daemons are errors, so the job retries; they are never taken as "clean".
pub async fn scan(address: &str, bytes: &[u8], timeout: Duration) -> anyhow::Result<ClamdAnswer> {
    let work = async {
        if address.starts_with('/') {
            #[cfg(unix)]
            {
                let socket = tokio::net::UnixStream::connect(address).await.context("connecting to clamd")?;
                return instream(socket, bytes).await;
            }
            #[cfg(not(unix))]
            bail!("unix sockets are not available on this platform");
        }
        let socket = tokio::net::TcpStream::connect(address).await.context("connecting to clamd")?;
        instream(socket, bytes).await
    };
    tokio::time::timeout(timeout, work).await.context("clamd did not answer in time")?
}

async fn instream<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, bytes: &[u8]) -> anyhow::Result<ClamdAnswer> {
    socket.write_all(b"zINSTREAM\0").await?;
    for chunk in bytes.chunks(CHUNK) {
        let len = u32::try_from(chunk.len())?;
        socket.write_all(&len.to_be_bytes()).await?;
        socket.write_all(chunk).await?;
    }
    socket.write_all(&[0, 0, 0, 0]).await?;
    socket.flush().await?;
    let mut reply = Vec::new();
    (&mut socket).take(4096).read_to_end(&mut reply).await?;
    parse(&reply)
}

fn parse(reply: &[u8]) -> anyhow::Result<ClamdAnswer> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches(['\0', '\n', '\r', ' ']);
    let Some(body) = text.strip_prefix("stream: ") else { bail!("clamd answered {text:?}") };
    if body == "OK" {
        Ok(ClamdAnswer::Clean)
    } else if let Some(name) = body.strip_suffix(" FOUND") {
        Ok(ClamdAnswer::Found(name.to_owned()))
    } else {
        bail!("clamd answered {text:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_strictly() {
        assert_eq!(parse(b"stream: OK\0").unwrap(), ClamdAnswer::Clean);
        assert_eq!(parse(b"stream: Eicar-Signature FOUND\0").unwrap(), ClamdAnswer::Found("Eicar-Signature".into()));
        assert!(parse(b"INSTREAM size limit exceeded. ERROR\0").is_err());
        assert!(parse(b"").is_err());
    }
}
