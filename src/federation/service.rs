//! [`Federation`]: the capability, and the first step of a flow — the redirect to the provider.
//! The flow's state lives on the server: the row holds the SHA-256 of `state` and `nonce` and
//! the sealed PKCE verifier, is used once and ends after `[oidc] flow_minutes`.

use std::sync::Arc;

use chrono::Duration;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::problems::unknown_provider;
use super::providers::{Discovered, Provider, Providers};
use super::store;
use crate::config::Config;
use crate::crypto::{Keys, aead};
use crate::db::{Db, time};
use crate::error::Error;
use crate::identity::Sessions;
use crate::identity::tokens::opaque;

/// Federated sign-in with OpenID Connect providers, and the identities linked to users.
pub struct Federation {
    pub(super) db: Db,
    pub(super) keys: Arc<Keys>,
    pub(super) providers: Providers,
    pub(super) sessions: Arc<Sessions>,
    flow_minutes: u64,
    pub(super) link_minutes: u64,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation").field("providers", &self.providers.names()).finish_non_exhaustive()
    }
}

pub(super) fn verifier_place(flow_id: &str) -> String {
    aead::associated_data("oidc_flows", "pkce_verifier", flow_id)
}

impl Federation {
    pub fn new(config: &Config, db: Db, keys: Arc<Keys>, sessions: Arc<Sessions>) -> anyhow::Result<Self> {
        let settings = &config.settings.oidc;
        let providers = Providers::new(settings, &config.public_url)?;
        Ok(Self {
            db,
            keys,
            providers,
            sessions,
            flow_minutes: settings.flow_minutes,
            link_minutes: settings.link_minutes,
        })
    }

    pub(super) fn provider(&self, name: &str) -> Result<&Provider, Error> {
        self.providers.get(name).ok_or_else(unknown_provider)
    }

    /// Starts a sign-in (or, with `link_user`, the linking of a provider to a signed-in user):
    /// the provider's authorization URL, with state, nonce and a PKCE S256 challenge.
    /// `redirect_to` was checked against the allowed origins by the caller (the HTTP layer owns
    /// the one allowlist, shared with the cookie sessions' `Origin` check).
    #[tracing::instrument(skip_all, fields(provider = provider_name))]
    pub async fn start(
        &self,
        provider_name: &str,
        redirect_to: &str,
        link_user: Option<Uuid>,
    ) -> Result<String, Error> {
        let provider = self.provider(provider_name)?;
        let discovered = self.providers.discovered(provider).await?;
        let (state, state_hash) = opaque::new_token();
        let (nonce, nonce_hash) = opaque::new_token();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let flow_id = Uuid::now_v7();
        let sealed =
            aead::seal(&self.keys.encryption, verifier.secret().as_bytes(), &verifier_place(&flow_id.to_string()));
        let client = client(provider, &discovered)?;
        let (state, nonce) = (state.expose_secret().to_owned(), nonce.expose_secret().to_owned());
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for scope in &provider.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, _, _) = request.url();
        let expires_at = time::now() + Duration::minutes(i64::try_from(self.flow_minutes).unwrap_or(10));
        let flow = store::NewFlow {
            id: flow_id,
            state_hash: &state_hash,
            provider: &provider.name,
            nonce_hash: &nonce_hash,
            pkce_verifier: &sealed,
            redirect_to,
            link_user_id: link_user,
            expires_at,
        };
        store::insert_flow(&mut *self.db.writer().acquire().await?, &flow).await?;
        Ok(url.to_string())
    }
}

/// The openidconnect client for a provider with its current discovery document.
pub(super) fn client(
    provider: &Provider,
    discovered: &Discovered,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Error,
> {
    let redirect = RedirectUrl::new(provider.redirect_uri.clone()).map_err(|e| anyhow::anyhow!("redirect URI: {e}"))?;
    Ok(CoreClient::from_provider_metadata(
        discovered.metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.expose_secret().to_owned())),
    )
    .set_redirect_uri(redirect))
}
