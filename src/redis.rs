//! The optional Redis connection: opened lazily and shared, so a Redis that is down at startup
//! makes the service unready (503 on `/health/ready`) instead of unable to start.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisResult};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

/// Cheap to clone: clones share one connection manager, so each capability can hold its own.
#[derive(Clone)]
pub struct RedisHandle {
    client: Client,
    manager: Arc<OnceCell<ConnectionManager>>,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.write_str("RedisHandle")
    }
}

impl RedisHandle {
    /// `root_cert`: the PEM root a `rediss://` server is checked against (`[redis] ca_file`);
    /// `None` = the system's roots.
    pub fn open(url: &SecretString, root_cert: Option<Vec<u8>>) -> RedisResult<Self> {
        crate::tls::install_crypto_provider();
        let url = url.expose_secret();
        let client = match root_cert {
            Some(root_cert) if url.starts_with("rediss://") => {
                Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) })?
            }
            _ => Client::open(url)?,
        };
        Ok(Self { client, manager: Arc::new(OnceCell::new()) })
    }

    /// As configured: `REDIS_URL` and `[redis] ca_file`; `None` without `REDIS_URL`.
    pub fn of(config: &crate::config::Config) -> RedisResult<Option<Self>> {
        config.redis_url.as_ref().map(|url| Self::open(url, config.redis_ca.clone())).transpose()
    }

    /// A multiplexed connection that reconnects by itself after Redis comes back.
    pub async fn connection(&self) -> RedisResult<ConnectionManager> {
        self.manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(2)))
                    .set_number_of_retries(1);
                self.client.get_connection_manager_with_config(config).await
            })
            .await
            .cloned()
    }

    pub async fn ping(&self) -> RedisResult<()> {
        let mut connection = self.connection().await?;
        redis::cmd("PING").query_async::<String>(&mut connection).await.map(|_| ())
    }
}
