//! Sessions and tokens: password sign-in (and the MFA challenge it may end in), opening a
//! session, refresh-token rotation, logout and revocation, and the bearer-token check every
//! authenticated request makes. Holds the JWT keys (reloaded when the signing ring changes), the
//! cache of verified tokens and the revocation cache.

mod authenticate;
mod logout;
mod password_check;
mod refresh;
mod resume;
mod sign_in;
mod start;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::emails::Emails;
use super::password::PasswordHasher;
use super::revocation::Revocations;
use super::tokens::{JwtKeys, VerifiedTokens};
use crate::config::{Config, IdentitySettings};
use crate::crypto::Keys;
use crate::db::Db;
use crate::redis::RedisHandle;

pub use logout::SessionInfo;
pub use resume::Resumed;
pub use sign_in::{LoginOutcome, MfaChallenge};
pub use start::{SessionStart, TokenPair};

/// The least time between two key-ring reloads triggered by unknown `kid`s.
pub const UNKNOWN_KID_RELOAD_SECS: i64 = 5;

pub struct Sessions {
    db: Db,
    keys: Arc<Keys>,
    /// Where the key rings live, re-read when a token names a key this process lacks.
    keys_dir: PathBuf,
    redis: Option<RedisHandle>,
    settings: Arc<IdentitySettings>,
    hasher: PasswordHasher,
    emails: Emails,
    verified: VerifiedTokens,
    revocations: Revocations,
    issuer: String,
    audience: String,
    jwt: RwLock<Arc<JwtKeys>>,
    /// When a token with an unknown `kid` last made this process re-read the key rings (Unix
    /// seconds): at most once per [`UNKNOWN_KID_RELOAD_SECS`], so random `kid`s cannot turn
    /// into a stream of file reads.
    unknown_kid_reload: AtomicI64,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// What [`Sessions::new`] is given besides the configuration.
pub struct SessionsDeps {
    pub db: Db,
    pub keys: Arc<Keys>,
    pub redis: Option<RedisHandle>,
    pub hasher: PasswordHasher,
    pub emails: Emails,
}

impl Sessions {
    pub fn new(config: &Config, deps: SessionsDeps) -> anyhow::Result<Self> {
        let settings = &config.settings.identity;
        let issuer = if settings.issuer.trim().is_empty() {
            config.public_url.clone()
        } else {
            settings.issuer.trim().to_owned()
        };
        let audience = settings.audience.clone();
        let jwt = JwtKeys::new(&deps.keys.signing, &issuer, &audience)?;
        Ok(Self {
            db: deps.db,
            keys: deps.keys,
            keys_dir: config.keys_dir.clone(),
            redis: deps.redis,
            settings: Arc::new(settings.clone()),
            hasher: deps.hasher,
            emails: deps.emails,
            verified: VerifiedTokens::new(settings.token_cache_entries),
            revocations: Revocations::new(
                Duration::from_millis(settings.session_cache_millis),
                settings.access_token_ttl(),
                &config.settings.redis.prefix,
            ),
            issuer,
            audience,
            jwt: RwLock::new(Arc::new(jwt)),
            unknown_kid_reload: AtomicI64::new(0),
        })
    }

    /// `iss` of the access tokens this service signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The JWT keys now in force.
    pub fn jwt(&self) -> Arc<JwtKeys> {
        match self.jwt.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The public keys that verify access tokens, as an RFC 7517 JWK Set.
    pub fn jwks(&self) -> serde_json::Value {
        self.jwt().jwks()
    }

    /// Takes in key-ring changes made on disk (`tresor keys generate|rotate`); a changed signing
    /// ring replaces the JWT keys.
    pub fn reload_keys(&self) -> anyhow::Result<()> {
        let changed = self.keys.reload(&self.keys_dir)?;
        if changed.contains(&"signing") {
            let fresh = Arc::new(JwtKeys::new(&self.keys.signing, &self.issuer, &self.audience)?);
            match self.jwt.write() {
                Ok(mut guard) => *guard = fresh,
                Err(poisoned) => *poisoned.into_inner() = fresh,
            }
        }
        if !changed.is_empty() {
            tracing::info!(rings = ?changed, "key rings reloaded");
        }
        Ok(())
    }

    /// Whether a token with an unknown `kid` may make this process re-read its key rings now
    /// (another process may have rotated the signing key before this one's periodic reload).
    fn may_reload_for_unknown_kid(&self, now: i64) -> bool {
        let last = self.unknown_kid_reload.load(Ordering::Relaxed);
        now - last >= UNKNOWN_KID_RELOAD_SECS
            && self.unknown_kid_reload.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}
