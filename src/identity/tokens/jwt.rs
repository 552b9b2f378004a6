//! Access tokens: EdDSA (Ed25519) JWTs with a `kid`, verified against every key of the signing
//! ring (so old keys keep verifying after a rotation) and nothing but EdDSA (no `none`, no HMAC
//! with a public key as secret).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::KeyRing;
use crate::identity::roles::Role;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub roles: Vec<Role>,
    pub kyc_status: String,
    /// This session passed MFA.
    pub mfa: bool,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is malformed, forged, expired or not for this service")]
    Invalid,
    #[error("the access token names a key this service does not have")]
    UnknownKey,
}

/// The signing ring turned into JWT keys: the active key signs, every key verifies.
pub struct JwtKeys {
    active: (String, EncodingKey),
    verifying: BTreeMap<String, (DecodingKey, [u8; 32])>,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(ring: &KeyRing, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let mut verifying = BTreeMap::new();
        for id in ring.ids() {
            let Some(seed) = ring.get(id) else { continue };
            let public = SigningKey::from_bytes(seed.expose_secret()).verifying_key().to_bytes();
            verifying.insert(id.to_owned(), (DecodingKey::from_ed_der(&public), public));
        }
        let (active_id, seed) = ring.active();
        let der = SigningKey::from_bytes(seed.expose_secret())
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("encoding the signing key: {e}"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self { active: (active_id.to_owned(), EncodingKey::from_ed_der(der.as_bytes())), verifying, validation })
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.active.0.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.active.1)?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let (key, _) = self.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }

    /// RFC 7517 / RFC 8037: every verifying key as an OKP Ed25519 JWK.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .verifying
            .iter()
            .map(|(kid, (_, public))| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(public),
                    "kid": kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    pub fn active_kid(&self) -> &str {
        &self.active.0
    }
}
