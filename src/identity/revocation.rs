//! Whether a session may still be used, asked on every authenticated request.
//!
//! A revocation by this process takes effect at once (it is remembered here). With Redis, every
//! revocation is also published there and every request asks Redis, so logout on one server
//! stops the token on all of them at once. The database, the source of truth, is asked at most
//! once per `session_cache_millis` per session.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use redis::AsyncCommands;
use uuid::Uuid;

use super::store;
use crate::db::{Db, decode};
use crate::redis::RedisHandle;

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

pub struct Revocations {
    revoked: DashMap<Uuid, Instant>,
    /// Session → (when the database said it was live, when it ends at the latest).
    live: DashMap<Uuid, (Instant, DateTime<Utc>)>,
    cache_for: Duration,
    /// How long a revocation must be remembered: the longest an access token lives.
    remember: Duration,
    /// Namespace of the keys in Redis (`[redis] prefix`).
    prefix: String,
}

impl Revocations {
    fn redis_key(&self, session: &Uuid) -> String {
        format!("{}:revoked:{session}", self.prefix)
    }
}

impl Revocations {
    pub fn new(cache_for: Duration, access_ttl: Duration, prefix: &str) -> Self {
        Self {
            revoked: DashMap::new(),
            live: DashMap::new(),
            cache_for,
            remember: access_ttl + Duration::from_secs(60),
            prefix: prefix.to_owned(),
        }
    }

    /// Is the session live (not revoked, not past its absolute end)?
    pub async fn is_live(&self, db: &Db, redis: Option<&RedisHandle>, session: Uuid) -> Result<bool, RevocationError> {
        if self.revoked.contains_key(&session) {
            return Ok(false);
        }
        if let Some(redis) = redis {
            let mut conn = redis.connection().await?;
            let revoked: bool = conn.exists(self.redis_key(&session)).await?;
            if revoked {
                self.revoked.insert(session, Instant::now());
                return Ok(false);
            }
        }
        if let Some(entry) = self.live.get(&session)
            && entry.0.elapsed() < self.cache_for
        {
            return Ok(entry.1 > Utc::now());
        }
        let Some(row) = store::sessions::ending(db.reader(), session).await? else { return Ok(false) };
        let expires_at = decode::time(&row.expires_at)?;
        if row.revoked_at.is_some() {
            self.revoked.insert(session, Instant::now());
            return Ok(false);
        }
        self.live.insert(session, (Instant::now(), expires_at));
        Ok(expires_at > Utc::now())
    }

    /// Remembers that `sessions` were revoked (already committed to the database), here and in
    /// Redis. A Redis failure is returned after the local revocation took effect.
    pub async fn revoked(&self, redis: Option<&RedisHandle>, sessions: &[Uuid]) -> Result<(), RevocationError> {
        self.forget_old();
        for session in sessions {
            self.revoked.insert(*session, Instant::now());
            self.live.remove(session);
        }
        if let Some(redis) = redis
            && !sessions.is_empty()
        {
            let mut conn = redis.connection().await?;
            let mut pipe = redis::pipe();
            for session in sessions {
                pipe.set_ex(self.redis_key(session), 1, self.remember.as_secs()).ignore();
            }
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }

    /// Drops revocations older than any token they could concern.
    fn forget_old(&self) {
        if self.revoked.len() > 10_000 {
            self.revoked.retain(|_, at| at.elapsed() < self.remember);
        }
        if self.live.len() > 100_000 {
            self.live.retain(|_, (at, _)| at.elapsed() < self.cache_for);
        }
    }
}
