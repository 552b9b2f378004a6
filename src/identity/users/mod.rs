//! Users: registration and email verification, users created by the operator or staff,
//! password recovery and change, the profile, account deletion and export requests. Each flow
//! does its work in one transaction with its audit entry, security events and emails; sessions
//! a flow ends are ended through [`Sessions`].

mod links;
mod password_change;
mod profile;
mod provisioning;
mod recovery;
mod register;
mod verification;

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::emails::Emails;
use super::fields::Fields;
use super::password::{PasswordHasher, PasswordPolicy};
use super::problems::registration_closed;
use super::sessions::Sessions;
use super::store::{self, users::UserRow};
use crate::config::{Config, IdentitySettings, RegistrationMode};
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::{Error, Problem};
use crate::identity::Role;
use crate::read_cache::{Changes, ReadCache};

pub use links::{LinkPurpose, LinkState};
pub use profile::{Profile, ProfilePatch};
pub use provisioning::{Created, ProvisionedUser};
pub use register::Registration;

pub struct Identity {
    db: Db,
    keys: Arc<Keys>,
    settings: Arc<IdentitySettings>,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    emails: Emails,
    sessions: Arc<Sessions>,
    /// Profile rows (sealed) and roles between requests, by user.
    profiles: ReadCache<(UserRow, Vec<Role>)>,
    changes: Arc<Changes>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

/// What [`Identity::new`] is given besides the configuration.
pub struct IdentityDeps {
    pub db: Db,
    pub keys: Arc<Keys>,
    pub hasher: PasswordHasher,
    pub emails: Emails,
    pub sessions: Arc<Sessions>,
    /// Where profile changes are announced (and cached profiles checked).
    pub changes: Arc<Changes>,
}

impl Identity {
    pub fn new(config: &Config, deps: IdentityDeps) -> anyhow::Result<Self> {
        Ok(Self {
            db: deps.db,
            keys: deps.keys,
            settings: Arc::new(config.settings.identity.clone()),
            hasher: deps.hasher,
            policy: PasswordPolicy::new(&config.settings.passwords)?,
            emails: deps.emails,
            sessions: deps.sessions,
            profiles: ReadCache::new(Arc::clone(&deps.changes)),
            changes: deps.changes,
        })
    }

    /// How identity's emails are built and queued (other capabilities send theirs the same way).
    pub fn emails(&self) -> &Emails {
        &self.emails
    }

    /// What is wrong with `password` as a new password (empty when nothing); `personal` are the
    /// user's own words (email, name) it must not be built from.
    pub fn password_problems(&self, password: &SecretString, personal: &[&str]) -> Vec<String> {
        self.policy.problems(password.expose_secret(), personal)
    }

    /// 403 `registration-closed` when only invited users get in.
    pub fn ensure_registration_open(&self) -> Result<(), Error> {
        match self.settings.registration {
            RegistrationMode::Invite => Err(registration_closed()),
            RegistrationMode::Open => Ok(()),
        }
    }

    /// Call after committing a change to what `user_id`'s profile shows (its row or roles):
    /// cached profiles are not served again.
    pub async fn profile_changed(&self, user_id: Uuid) {
        self.changes.changed(&[user_id]).await;
    }

    /// The live (not deleted) user behind a token; 404 when there is none.
    pub async fn live_user(&self, user_id: Uuid) -> Result<UserRow, Error> {
        match store::users::find(self.db.reader(), user_id).await? {
            Some(user) if !user.is_deleted() => Ok(user),
            _ => Err(Problem::not_found("the user").into()),
        }
    }

    /// Checks a new password against the policy and the user's own email and name.
    fn check_new_password(&self, field: &str, password: &SecretString, user: &UserRow) -> Result<(), Problem> {
        let personal = [user.email.as_deref().unwrap_or_default(), user.full_name.as_str()];
        let mut fields = Fields::default();
        for problem in self.password_problems(password, &personal) {
            fields.add(field, problem);
        }
        fields.finish()
    }
}
