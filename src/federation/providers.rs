//! The configured OpenID providers: their discovery documents and signing keys, fetched on first
//! use (a provider that is down does not stop the server) and kept in memory. A token signed by
//! a key the cached set lacks makes the set be fetched again — at most once per
//! `[oidc] jwks_refresh_secs` per provider — which is how a provider's key rotation is followed.
//! Requests to providers go through one HTTP client that follows no redirects.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{IssuerUrl, reqwest};
use secrecy::SecretString;
use tokio::sync::RwLock;

use super::problems::provider_unavailable;
use crate::config::OidcSettings;
use crate::error::Error;

/// One provider as configured.
pub struct Provider {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    /// `<public_url>/v1/auth/oidc/<name>/callback`.
    pub redirect_uri: String,
}

/// A provider's discovery document with the keys fetched when it was read.
pub struct Discovered {
    pub metadata: CoreProviderMetadata,
    keys_fetched: Instant,
}

pub struct Providers {
    http: reqwest::Client,
    configured: BTreeMap<String, Provider>,
    discovered: RwLock<HashMap<String, Arc<Discovered>>>,
    refresh_every: Duration,
}

impl Providers {
    pub fn new(settings: &OidcSettings, public_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.http_timeout_secs))
            .build()?;
        let base = public_url.trim_end_matches('/');
        let configured = settings
            .providers
            .iter()
            .map(|(name, p)| {
                let provider = Provider {
                    name: name.clone(),
                    issuer: p.issuer_for(name),
                    client_id: p.client_id.trim().to_owned(),
                    client_secret: p.client_secret.clone(),
                    scopes: p.scopes.iter().filter(|s| s.as_str() != "openid").cloned().collect(),
                    redirect_uri: format!("{base}/v1/auth/oidc/{name}/callback"),
                };
                (name.clone(), provider)
            })
            .collect();
        Ok(Self {
            http,
            configured,
            discovered: RwLock::new(HashMap::new()),
            refresh_every: Duration::from_secs(settings.jwks_refresh_secs),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn names(&self) -> Vec<&str> {
        self.configured.keys().map(String::as_str).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.configured.get(name)
    }

    /// The provider's discovery document (read on first use).
    pub async fn discovered(&self, provider: &Provider) -> Result<Arc<Discovered>, Error> {
        if let Some(found) = self.discovered.read().await.get(&provider.name) {
            return Ok(found.clone());
        }
        let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| anyhow::anyhow!("issuer URL: {e}"))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|error| {
            tracing::warn!(provider = %provider.name, error = %error, "OpenID discovery failed");
            provider_unavailable()
        })?;
        let fresh = Arc::new(Discovered { metadata, keys_fetched: Instant::now() });
        self.discovered.write().await.insert(provider.name.clone(), fresh.clone());
        Ok(fresh)
    }

    /// Fetches the provider's keys again after a token named a key `seen` lacks; `None` when
    /// they were fetched too recently to ask again.
    pub async fn refresh_keys(&self, provider: &Provider, seen: &Discovered) -> Result<Option<Arc<Discovered>>, Error> {
        let mut discovered = self.discovered.write().await;
        if let Some(current) = discovered.get(&provider.name)
            && current.keys_fetched > seen.keys_fetched
        {
            // Someone refreshed meanwhile: try their set.
            return Ok(Some(current.clone()));
        }
        if seen.keys_fetched.elapsed() < self.refresh_every {
            return Ok(None);
        }
        let keys = CoreJsonWebKeySet::fetch_async(seen.metadata.jwks_uri(), &self.http).await.map_err(|error| {
            tracing::warn!(provider = %provider.name, error = %error, "fetching the provider's keys failed");
            provider_unavailable()
        })?;
        tracing::info!(provider = %provider.name, "provider signing keys refreshed");
        let metadata = seen.metadata.clone().set_jwks(keys);
        let fresh = Arc::new(Discovered { metadata, keys_fetched: Instant::now() });
        discovered.insert(provider.name.clone(), fresh.clone());
        Ok(Some(fresh))
    }
}
