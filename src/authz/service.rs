//! [`Authz`]: what a user may do now, and whether a session may use a permission.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::access::{Access, AccessCache, AccessError};
use super::permission::Permission;
use super::store;
use crate::db::Db;
use crate::read_cache::Changes;
use crate::redis::RedisHandle;

/// The answer to "may this session use `permission` now?", in the order it is decided.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Yes; with what the user may do, for the caller to keep.
    Allowed(Arc<Access>),
    /// No role of the user's and no live grant carries the permission.
    NotGranted,
    /// Held, but the user has not enabled MFA (staff permissions need it).
    MfaNotEnabled,
    /// Held, but this session did not pass MFA.
    SessionWithoutMfa,
}

impl Verdict {
    /// The user holds the permission (by a role or a live grant), MFA aside.
    pub fn granted(&self) -> bool {
        !matches!(self, Self::NotGranted)
    }
}

/// Roles, grants and MFA enrolment per user (cached, see [`AccessCache`]) and the permission
/// rule built on them.
pub struct Authz {
    cache: AccessCache,
    db: Db,
    redis: Option<RedisHandle>,
    /// Roles and MFA enrolment are also in cached profiles (`crate::read_cache`).
    reads: Arc<Changes>,
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authz").field("redis", &self.redis.is_some()).finish_non_exhaustive()
    }
}

impl Authz {
    /// `cache_ttl`: how long a process trusts its entry without Redis (`[authz] cache_millis`);
    /// `prefix`: the Redis namespace (`[redis] prefix`); `reads`: where a change is announced to
    /// the cached profiles that show roles and MFA enrolment.
    pub fn new(db: Db, redis: Option<RedisHandle>, cache_ttl: Duration, prefix: &str, reads: Arc<Changes>) -> Self {
        Self { cache: AccessCache::new(cache_ttl, prefix), db, redis, reads }
    }

    /// What `user_id` may do, from the cache when it is current.
    pub async fn access(&self, user_id: Uuid) -> Result<Arc<Access>, AccessError> {
        self.cache.get(&self.db, self.redis.as_ref(), user_id).await
    }

    /// Whether `session_id` of `user_id` may use `permission` now: the user holds it (by a role
    /// or a live grant), has MFA enabled, and the session passed MFA.
    pub async fn check(&self, user_id: Uuid, session_id: Uuid, permission: Permission) -> Result<Verdict, AccessError> {
        let access = self.access(user_id).await?;
        if !access.allows(permission, Utc::now()) {
            return Ok(Verdict::NotGranted);
        }
        if !access.mfa_enabled {
            return Ok(Verdict::MfaNotEnabled);
        }
        let session = store::session_mfa(self.db.reader(), session_id).await?;
        if !session.passed {
            return Ok(Verdict::SessionWithoutMfa);
        }
        Ok(Verdict::Allowed(access))
    }

    /// Call after committing a change to `user_id`'s roles, grants, lock or MFA enrolment: this
    /// process forgets the entry at once; with Redis, every other process on its next request.
    pub async fn changed(&self, user_id: Uuid) -> Result<(), AccessError> {
        self.reads.changed(&[user_id]).await;
        self.cache.changed(self.redis.as_ref(), user_id).await
    }

    /// [`Self::changed`] for callers whose change is committed already: a Redis failure is
    /// logged, not returned (other servers catch up within the cache's safety-net minute).
    pub async fn publish_change(&self, user_id: Uuid) {
        if let Err(error) = self.changed(user_id).await {
            tracing::warn!(error = %error, "could not publish a permission change; other servers catch up within a minute");
        }
    }
}
