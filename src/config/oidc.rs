//! `[oidc]`: OpenID Connect providers for federated sign-in (docs/federation-and-passkeys.md).

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

/// Google's issuer: a provider named `google` without an issuer uses it.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// Minutes between the redirect to a provider and the callback before the flow is refused.
    pub flow_minutes: u64,
    /// Minutes a sign-in that must prove the local password before linking stays open.
    pub link_minutes: u64,
    /// Least seconds between two JWKS re-reads triggered by an unknown signing key.
    pub jwks_refresh_secs: u64,
    /// Seconds one request to a provider (discovery, keys, code exchange) may take.
    pub http_timeout_secs: u64,
    /// `[oidc.providers.<name>]`: the name appears in URLs and in the session list.
    #[serde(default)]
    pub providers: BTreeMap<String, OidcProviderSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderSettings {
    /// The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`); may be left
    /// out for a provider named `google`.
    #[serde(default)]
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes asked for; `openid` is always added.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".to_owned(), "email".to_owned(), "profile".to_owned()]
}

impl OidcProviderSettings {
    /// The issuer, with the `google` preset applied.
    pub fn issuer_for(&self, name: &str) -> String {
        match self.issuer.trim() {
            "" if name == "google" => GOOGLE_ISSUER.to_owned(),
            issuer => issuer.trim_end_matches('/').to_owned(),
        }
    }
}
