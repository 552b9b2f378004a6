//! Which ids changed, and when: the versions a cached read is checked against.
//!
//! In this process a change bumps one of [`STRIPES`] counters (the id's stripe) at once. With
//! Redis, it also increments the id's version key there, so every process sees it on its next
//! read of an entry that depends on it. Without Redis, other processes' entries live at most
//! `ttl` (`[identity] session_cache_millis`, the bound a revoked session already has).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::AsyncCommands;
use uuid::Uuid;

use crate::redis::RedisHandle;

/// Counters in this process; ids share one by their low bits. A change to one id also reloads
/// entries of the others in its stripe: harmless, and rare at this width.
pub const STRIPES: usize = 4096;

/// How long a Redis version key outlives its last change (far longer than any entry).
const SHARED_KEY_SECS: i64 = 86_400;

/// The versions of an entry's ids, read before its database read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    local: Vec<u64>,
    /// With Redis: each id's version there (0 when it never changed).
    shared: Option<Vec<i64>>,
}

pub struct Changes {
    stripes: Box<[AtomicU64]>,
    redis: Option<RedisHandle>,
    prefix: String,
    ttl: Duration,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes").field("redis", &self.redis.is_some()).field("ttl", &self.ttl).finish()
    }
}

fn stripe(id: &Uuid) -> usize {
    // A v4 or v7 id's low bits are random.
    (id.as_u64_pair().1 as usize) % STRIPES
}

impl Changes {
    /// `ttl`: the longest an entry is served (0: nothing is cached); `prefix`: the Redis
    /// namespace (`[redis] prefix`).
    pub fn new(redis: Option<RedisHandle>, prefix: &str, ttl: Duration) -> Self {
        let stripes = (0..STRIPES).map(|_| AtomicU64::new(0)).collect();
        Self { stripes, redis, prefix: prefix.to_owned(), ttl }
    }

    /// As configured: Redis when `REDIS_URL` is set; entries live `[identity] session_cache_millis`.
    pub fn configured(config: &crate::config::Config, redis: Option<RedisHandle>) -> Self {
        let ttl = Duration::from_millis(config.settings.identity.session_cache_millis);
        Self::new(redis, &config.settings.redis.prefix, ttl)
    }

    /// Changes seen by this process alone, and no caching (for commands that serve no reads).
    pub fn local_only() -> Self {
        Self::new(None, "", Duration::ZERO)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn key(&self, id: &Uuid) -> String {
        format!("{}:reads:{id}", self.prefix)
    }

    /// The current versions of `ids`.
    pub async fn stamp(&self, ids: &[Uuid]) -> Result<Stamp, redis::RedisError> {
        let local = ids.iter().map(|id| self.stripes[stripe(id)].load(Ordering::Acquire)).collect();
        let shared = match &self.redis {
            Some(redis) if !ids.is_empty() => {
                let keys: Vec<String> = ids.iter().map(|id| self.key(id)).collect();
                let mut conn = redis.connection().await?;
                let versions: Vec<Option<i64>> = conn.mget(keys).await?;
                Some(versions.into_iter().map(Option::unwrap_or_default).collect())
            }
            _ => None,
        };
        Ok(Stamp { local, shared })
    }

    /// Whether `ids` are still at `stamp`: this process's counters first, compared in place;
    /// Redis (one `MGET`) only when they have not moved.
    pub async fn unchanged(&self, ids: &[Uuid], stamp: &Stamp) -> Result<bool, redis::RedisError> {
        let local =
            ids.iter().zip(&stamp.local).all(|(id, at)| self.stripes[stripe(id)].load(Ordering::Acquire) == *at);
        if !local || stamp.shared.is_none() {
            return Ok(local);
        }
        Ok(self.stamp(ids).await?.shared == stamp.shared)
    }

    /// Call after committing a change to what `ids` (users, accounts) show. This process's
    /// entries are stale at once; with Redis, every process's on its next read. A Redis failure
    /// is logged, not returned (the change is committed): other processes then see it within
    /// `ttl`.
    pub async fn changed(&self, ids: &[Uuid]) {
        for id in ids {
            self.stripes[stripe(id)].fetch_add(1, Ordering::AcqRel);
        }
        let Some(redis) = &self.redis else { return };
        if ids.is_empty() {
            return;
        }
        // A transfer batch names one account many times: increment each once.
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut pipe = redis::pipe();
        for id in &ids {
            let key = self.key(id);
            pipe.incr(&key, 1).ignore().expire(&key, SHARED_KEY_SECS).ignore();
        }
        let published = match redis.connection().await {
            Ok(mut conn) => pipe.query_async::<()>(&mut conn).await,
            Err(error) => Err(error),
        };
        if let Err(error) = published {
            tracing::warn!(error = %error, "cached reads: a change was not published to Redis; other servers see it within the cache's lifetime");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_moves_the_stamp_of_its_id_only() {
        let changes = Changes::new(None, "t", Duration::from_secs(1));
        let a = Uuid::now_v7();
        let b = std::iter::repeat_with(Uuid::now_v7).find(|b| stripe(b) != stripe(&a)).unwrap();
        let before = changes.stamp(&[a, b]).await.unwrap();
        changes.changed(&[a]).await;
        let after = changes.stamp(&[a, b]).await.unwrap();
        assert_ne!(before, after);
        assert_eq!(before.local[1], after.local[1]);
        assert_eq!(after, changes.stamp(&[a, b]).await.unwrap());
        assert!(!changes.unchanged(&[a, b], &before).await.unwrap());
        assert!(changes.unchanged(&[a, b], &after).await.unwrap());
    }
}
