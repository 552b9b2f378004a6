//! What one user may do right now, and the cache that keeps it between requests.
//!
//! Role, grant, lock and MFA changes take effect on the next request, not at token expiry:
//! whoever changes them calls `Authz::changed` (which calls [`AccessCache::changed`]) after
//! committing. That drops this
//! process's entry at once and, with Redis, bumps the user's version key there; every process
//! asks Redis for that version on each staff request and reloads from the database when it
//! moved. Without Redis, other processes reload after `[authz] cache_millis`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use redis::AsyncCommands;
use uuid::Uuid;

use sqlx::{Any, Executor};

use super::permission::{Permission, roles_allow};
use super::store;
use crate::db::{Db, time};
use crate::identity::Role;
use crate::identity::store::users;
use crate::redis::RedisHandle;

/// A user's roles, live grants, MFA enrolment, and whether the account may act at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub roles: Vec<Role>,
    /// Direct grants with their expiry (`None`: until revoked).
    pub grants: Vec<(Permission, Option<DateTime<Utc>>)>,
    pub mfa_enabled: bool,
    /// Not deleted and not locked by staff.
    pub active: bool,
}

impl Access {
    /// No such user: allowed nothing.
    pub fn nobody() -> Self {
        Self { roles: Vec::new(), grants: Vec::new(), mfa_enabled: false, active: false }
    }

    /// Whether a role or a grant live at `now` carries `permission`.
    pub fn allows(&self, permission: Permission, now: DateTime<Utc>) -> bool {
        self.active
            && (roles_allow(&self.roles, permission)
                || self.grants.iter().any(|(p, until)| *p == permission && until.is_none_or(|t| t > now)))
    }

    /// Every permission held at `now`, sorted.
    pub fn permissions(&self, now: DateTime<Utc>) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.allows(*p, now)).collect()
    }

    pub fn is_staff(&self) -> bool {
        self.roles.iter().any(|r| r.is_staff())
    }
}

/// Everything that decides what `user_id` may do, read fresh from the database.
pub async fn load<'c, E>(executor: E, user_id: Uuid) -> Result<Access, sqlx::Error>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let Some(standing) = store::standing(executor, user_id).await? else { return Ok(Access::nobody()) };
    let roles = users::roles(executor, user_id).await?;
    // Grants that expired are left out here, and any that expire while cached are left out
    // when asked (`Access::allows` compares with the clock).
    let grants = store::live_grants(executor, user_id, time::now()).await?;
    Ok(Access {
        roles,
        grants: grants.into_iter().map(|g| (g.permission, g.expires_at)).collect(),
        mfa_enabled: standing.mfa_enabled != 0,
        active: standing.status != users::DELETED && standing.staff_locked_at.is_none(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

struct Entry {
    loaded: Instant,
    /// The Redis version it was loaded at (`None` without Redis).
    version: Option<i64>,
    access: Arc<Access>,
}

pub struct AccessCache {
    entries: DashMap<Uuid, Entry>,
    /// Without Redis: how long an entry is trusted (changes by other processes show after it).
    local_ttl: Duration,
    /// With Redis: a safety net; versions already say when to reload.
    shared_ttl: Duration,
    prefix: String,
}

impl AccessCache {
    pub fn new(local_ttl: Duration, prefix: &str) -> Self {
        Self { entries: DashMap::new(), local_ttl, shared_ttl: Duration::from_secs(60), prefix: prefix.to_owned() }
    }

    fn key(&self, user: Uuid) -> String {
        format!("{}:authz:{user}", self.prefix)
    }

    /// What `user` may do, from the cache when it is current.
    pub async fn get(&self, db: &Db, redis: Option<&RedisHandle>, user: Uuid) -> Result<Arc<Access>, AccessError> {
        let version = match redis {
            Some(redis) => {
                let mut conn = redis.connection().await?;
                Some(conn.get::<_, Option<i64>>(self.key(user)).await?.unwrap_or(0))
            }
            None => None,
        };
        let ttl = if redis.is_some() { self.shared_ttl } else { self.local_ttl };
        if let Some(entry) = self.entries.get(&user)
            && entry.version == version
            && entry.loaded.elapsed() < ttl
        {
            return Ok(Arc::clone(&entry.access));
        }
        let access = Arc::new(load(db.reader(), user).await?);
        if self.entries.len() > 100_000 {
            self.entries.retain(|_, e| e.loaded.elapsed() < ttl);
        }
        self.entries.insert(user, Entry { loaded: Instant::now(), version, access: Arc::clone(&access) });
        Ok(access)
    }

    /// Call after committing a change to `user`'s roles, grants, lock or MFA enrolment.
    /// The local entry is gone even when Redis fails (the error is returned for the caller to
    /// log: other processes then catch up after the safety net's minute).
    pub async fn changed(&self, redis: Option<&RedisHandle>, user: Uuid) -> Result<(), AccessError> {
        self.entries.remove(&user);
        if let Some(redis) = redis {
            let mut conn = redis.connection().await?;
            let key = self.key(user);
            redis::pipe().incr(&key, 1).ignore().expire(&key, 86_400).ignore().query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_count_until_they_expire_and_locks_stop_everything() {
        let now = Utc::now();
        let access = Access {
            roles: vec![Role::Customer],
            grants: vec![
                (Permission::AuditRead, Some(now + chrono::Duration::seconds(5))),
                (Permission::JobsRead, None),
            ],
            mfa_enabled: true,
            active: true,
        };
        assert!(access.allows(Permission::AuditRead, now));
        assert!(!access.allows(Permission::AuditRead, now + chrono::Duration::seconds(6)));
        assert!(access.allows(Permission::JobsRead, now + chrono::Duration::days(999)));
        assert!(!access.allows(Permission::UsersRead, now));
        assert_eq!(access.permissions(now), vec![Permission::AuditRead, Permission::JobsRead]);
        let locked = Access { active: false, ..access };
        assert!(!locked.allows(Permission::JobsRead, now));
    }
}
