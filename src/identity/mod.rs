//! Identity: who a user is (registration, personal data sealed at rest), how they prove it
//! (passwords, lockout, tokens, sessions) and the flows that change it (email verification,
//! password reset and change, profile, deletion). Two capabilities: [`Identity`] (the users)
//! and [`Sessions`] (sign-in, sessions and tokens). HTTP handlers live in `crate::http`; they
//! parse input into the types here and call one method.

pub mod device;
pub mod emails;
pub mod export;
pub mod fields;
pub mod maintenance;
pub mod password;
pub mod pii;
pub mod problems;
pub mod rekey;
pub mod revocation;
pub mod roles;
pub mod sessions;
pub mod store;
pub mod tokens;
pub mod users;

pub use device::Device;
pub use roles::Role;
pub use sessions::{SessionStart, Sessions, TokenPair};
pub use users::Identity;

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::Keys;
use crate::db::Db;
use crate::read_cache::Changes;
use crate::redis::RedisHandle;

/// Builds both capabilities, sharing one password hasher pool and one mail builder; the server
/// and the CLI (`tresor admin create`) call this.
pub fn build(
    config: &Config,
    db: &Db,
    keys: &Arc<Keys>,
    jobs: &tresor_jobs::Store,
    redis: Option<RedisHandle>,
    changes: Arc<Changes>,
) -> anyhow::Result<(Arc<Sessions>, Arc<Identity>)> {
    let hasher = password::PasswordHasher::start(&config.settings.passwords)?;
    let emails = emails::Emails::new(Arc::clone(keys), jobs.clone(), config.public_url.clone(), config.app_url.clone());
    let sessions = Arc::new(Sessions::new(
        config,
        sessions::SessionsDeps {
            db: db.clone(),
            keys: Arc::clone(keys),
            redis,
            hasher: hasher.clone(),
            emails: emails.clone(),
        },
    )?);
    let identity = Identity::new(
        config,
        users::IdentityDeps {
            db: db.clone(),
            keys: Arc::clone(keys),
            hasher,
            emails,
            sessions: Arc::clone(&sessions),
            changes,
        },
    )?;
    Ok((sessions, Arc::new(identity)))
}
