//! Identity: who a user is (registration, personal data sealed at rest), how they prove it
//! (passwords, lockout, tokens, sessions) and the flows that change it (email verification,
//! password reset and change, profile, deletion). HTTP handlers live in `crate::http`; they
//! parse input into the types here and call the services.

pub mod export;
pub mod fields;
pub mod maintenance;
pub mod password;
pub mod pii;
pub mod rekey;
pub mod revocation;
pub mod roles;
pub mod service;
pub mod store;
pub mod tokens;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::config::Config;
use crate::crypto::{KeyRing, Keys};

pub use roles::Role;

/// The identity capability's long-lived parts, shared by every request.
pub struct Identity {
    pub hasher: password::PasswordHasher,
    pub policy: password::PasswordPolicy,
    pub verified: tokens::VerifiedTokens,
    pub revocations: revocation::Revocations,
    pub issuer: String,
    pub audience: String,
    jwt: RwLock<Arc<tokens::JwtKeys>>,
    /// When a token with an unknown `kid` last made this process re-read the key rings (Unix
    /// seconds): at most once per [`UNKNOWN_KID_RELOAD_SECS`], so random `kid`s cannot turn
    /// into a stream of file reads.
    unknown_kid_reload: std::sync::atomic::AtomicI64,
}

/// The least time between two key-ring reloads triggered by unknown `kid`s.
pub const UNKNOWN_KID_RELOAD_SECS: i64 = 5;

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Identity {
    pub fn new(config: &Config, keys: &Keys) -> anyhow::Result<Self> {
        let settings = &config.settings.identity;
        let issuer = if settings.issuer.trim().is_empty() {
            config.public_url.clone()
        } else {
            settings.issuer.trim().to_owned()
        };
        let audience = settings.audience.clone();
        let jwt = tokens::JwtKeys::new(&keys.signing, &issuer, &audience)?;
        Ok(Self {
            hasher: password::PasswordHasher::start(&config.settings.passwords)?,
            policy: password::PasswordPolicy::new(&config.settings.passwords)?,
            verified: tokens::VerifiedTokens::new(settings.token_cache_entries),
            revocations: revocation::Revocations::new(
                Duration::from_millis(settings.session_cache_millis),
                settings.access_token_ttl(),
                &config.settings.redis.prefix,
            ),
            issuer,
            audience,
            jwt: RwLock::new(Arc::new(jwt)),
            unknown_kid_reload: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// The JWT keys now in force.
    pub fn jwt(&self) -> Arc<tokens::JwtKeys> {
        match self.jwt.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether a token with an unknown `kid` may make this process re-read its key rings now
    /// (another process may have rotated the signing key before this one's periodic reload).
    pub fn may_reload_for_unknown_kid(&self, now: i64) -> bool {
        use std::sync::atomic::Ordering;
        let last = self.unknown_kid_reload.load(Ordering::Relaxed);
        now - last >= UNKNOWN_KID_RELOAD_SECS
            && self.unknown_kid_reload.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// Takes a changed signing ring into use (after `tresor keys generate|rotate`).
    pub fn reload_signing(&self, ring: &KeyRing) -> anyhow::Result<()> {
        let fresh = Arc::new(tokens::JwtKeys::new(ring, &self.issuer, &self.audience)?);
        match self.jwt.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}
