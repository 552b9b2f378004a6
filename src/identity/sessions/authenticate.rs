//! The bearer-token check of every authenticated request: the signature (from the cache when
//! seen before), then whether the session is still live.

use super::Sessions;
use crate::error::Error;
use crate::identity::problems::{revocation_failed, unauthorized_token};
use crate::identity::tokens::{Claims, TokenError, VerifiedTokens};

impl Sessions {
    /// Whether `session` is still live (a long-lived stream asks again as it goes).
    pub async fn is_live(&self, session: uuid::Uuid) -> Result<bool, Error> {
        self.revocations.is_live(&self.db, self.redis.as_ref(), session).await.map_err(revocation_failed)
    }

    /// The claims of a valid access token whose session has not ended.
    pub async fn authenticate(&self, token: &str) -> Result<Claims, Error> {
        let now = chrono::Utc::now().timestamp();
        let key = VerifiedTokens::key(token);
        let claims = match self.verified.get(&key, now) {
            Some(claims) => claims,
            None => {
                let mut verified = self.jwt().verify(token);
                if matches!(verified, Err(TokenError::UnknownKey)) && self.may_reload_for_unknown_kid(now) {
                    if let Err(error) = self.reload_keys() {
                        tracing::warn!(error = format!("{error:#}"), "could not reload the key rings");
                    }
                    verified = self.jwt().verify(token);
                }
                let claims = verified.map_err(|error| match error {
                    TokenError::Invalid => unauthorized_token("is malformed, forged, expired or not for this service"),
                    TokenError::UnknownKey => unauthorized_token("was signed by a key this service does not know"),
                })?;
                self.verified.insert(key, claims.clone(), now);
                claims
            }
        };
        let live =
            self.revocations.is_live(&self.db, self.redis.as_ref(), claims.sid).await.map_err(revocation_failed)?;
        if !live {
            return Err(unauthorized_token("belongs to a session that has ended"));
        }
        Ok(claims)
    }
}
