//! The provider's redirect back: the flow is consumed (single use), the code exchanged with the
//! PKCE verifier, the ID token checked (signature against the provider's keys — fetched again
//! once when it names an unknown key — issuer, audience, expiry, and the nonce against the
//! flow's hash), and the provider's subject resolved to a user (see `sign_in`).

use openidconnect::core::CoreIdTokenClaims;
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Nonce, PkceCodeVerifier, SignatureVerificationError, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::problems::{exchange_failed, invalid_id_token, invalid_state, provider_refused};
use super::providers::{Discovered, Provider};
use super::service::{Federation, client, verifier_place};
use super::store::{self, FlowRow};
use super::{Asserted, SignIn};
use crate::crypto::aead;
use crate::db::decode;
use crate::error::Error;
use crate::identity::Device;
use crate::identity::tokens::opaque;

/// What the provider sent back to the callback.
pub struct Callback {
    pub code: Option<SecretString>,
    pub state: Option<String>,
    /// `error` of an authorization error response (RFC 6749 §4.1.2.1).
    pub error: Option<String>,
}

impl Federation {
    /// Finishes a flow: a session, the MFA step, a link waiting for the password, or a link
    /// made for a signed-in user.
    #[tracing::instrument(skip_all, fields(provider = provider_name))]
    pub async fn finish(&self, provider_name: &str, callback: Callback, device: &Device) -> Result<SignIn, Error> {
        let provider = self.provider(provider_name)?;
        let state = callback.state.as_deref().filter(|s| opaque::well_formed(s)).ok_or_else(invalid_state)?;
        let mut conn = self.db.writer().acquire().await?;
        let flow = store::consume_flow(&mut conn, &provider.name, &opaque::hash(state)).await?;
        drop(conn);
        let flow = flow.ok_or_else(invalid_state)?;
        if let Some(error) = callback.error {
            tracing::info!(error = %error.chars().take(64).collect::<String>(), "the provider answered with an error");
            return Err(provider_refused());
        }
        let code = callback.code.ok_or_else(exchange_failed)?;
        let asserted = self.exchange(provider, &flow, code).await?;
        let link_user = flow.link_user_id.as_deref().map(decode::uuid).transpose()?;
        self.resolve(provider, asserted, link_user, flow.redirect_to, device).await
    }

    /// The code for tokens, and the ID token's verified claims.
    async fn exchange(&self, provider: &Provider, flow: &FlowRow, code: SecretString) -> Result<Asserted, Error> {
        let verifier = aead::open(&self.keys.encryption, &flow.pkce_verifier, &verifier_place(&flow.id))
            .map_err(|e| anyhow::anyhow!("oidc_flows.pkce_verifier of {}: {e}", flow.id))?;
        let verifier = String::from_utf8(verifier).map_err(|_| anyhow::anyhow!("PKCE verifier is not UTF-8"))?;
        let discovered = self.providers.discovered(provider).await?;
        let client = client(provider, &discovered)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
            .map_err(|e| anyhow::anyhow!("provider {} has no token endpoint: {e}", provider.name))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier));
        let response = request.request_async(self.providers.http()).await.map_err(|error| {
            tracing::info!(error = %error, "code exchange refused");
            exchange_failed()
        })?;
        let id_token = response.id_token().ok_or_else(|| invalid_id_token("presence"))?;
        let mut discovered = discovered;
        loop {
            let checked = verify(provider, &discovered, id_token, &flow.nonce_hash)?;
            match checked {
                Ok(claims) => return asserted(provider, claims),
                Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                    match self.providers.refresh_keys(provider, &discovered).await? {
                        Some(fresh) if !std::sync::Arc::ptr_eq(&fresh, &discovered) => discovered = fresh,
                        _ => return Err(invalid_id_token("signature")),
                    }
                }
                Err(error) => {
                    tracing::info!(error = %error, "ID token refused");
                    return Err(invalid_id_token(check_name(&error)));
                }
            }
        }
    }
}

/// Verifies the ID token with `discovered`'s keys; the nonce is compared by its hash.
fn verify(
    provider: &Provider,
    discovered: &Discovered,
    id_token: &openidconnect::core::CoreIdToken,
    nonce_hash: &str,
) -> Result<Result<CoreIdTokenClaims, ClaimsVerificationError>, Error> {
    let client = client(provider, discovered)?;
    let verifier = client.id_token_verifier();
    let nonce_check = |nonce: Option<&Nonce>| match nonce {
        Some(nonce) if bool::from(opaque::hash(nonce.secret()).as_bytes().ct_eq(nonce_hash.as_bytes())) => Ok(()),
        _ => Err("the nonce does not match this sign-in".to_owned()),
    };
    Ok(id_token.claims(&verifier, nonce_check).cloned())
}

fn check_name(error: &ClaimsVerificationError) -> &'static str {
    match error {
        ClaimsVerificationError::Expired(_) => "expiry",
        ClaimsVerificationError::InvalidAudience(_) => "audience",
        ClaimsVerificationError::InvalidIssuer(_) => "issuer",
        ClaimsVerificationError::InvalidNonce(_) => "nonce",
        ClaimsVerificationError::SignatureVerification(_) => "signature",
        _ => "claims",
    }
}

fn asserted(provider: &Provider, claims: CoreIdTokenClaims) -> Result<Asserted, Error> {
    let subject = claims.subject().as_str().to_owned();
    if subject.is_empty() || subject.len() > 255 {
        return Err(invalid_id_token("subject"));
    }
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().trim().to_owned()).filter(|n| !n.is_empty());
    Ok(Asserted {
        provider: provider.name.clone(),
        subject,
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified() == Some(true),
        name,
    })
}
