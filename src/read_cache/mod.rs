//! Hot reads served from memory: what a handler would otherwise read from the database on every
//! request although it rarely changes (a user's profile row, a user's accounts).
//!
//! An entry is kept under its owner's id together with the ids whose changes it shows (the
//! user; each account) and their versions ([`Stamp`]) read *before* its database read. It is
//! served while it is younger than the TTL and none of those versions moved. Whoever commits a
//! change calls [`Changes::changed`] with the ids it touched, after the commit: a read that
//! raced the write either saw the new data or carries a version the change has since moved, so
//! a stale entry is never served. An entry whose read found ids it had not stamped (a first
//! load; an account opened since) is kept only to name them, and the next read loads again with
//! all of them stamped.
//!
//! Values are kept as they were read: personal data stays sealed, and each response opens it.

mod changes;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use dashmap::DashMap;
use uuid::Uuid;

pub use changes::{Changes, STRIPES, Stamp};

/// Entries kept before expired ones are swept.
const SWEEP_ABOVE: usize = 100_000;

/// Its parts are shared, so a hit copies three pointers out of the map.
struct Entry<V> {
    loaded: Instant,
    /// The ids the value shows, the owner first.
    ids: Arc<[Uuid]>,
    /// Their versions before the read; `None`: the read found ids that were not stamped.
    stamp: Option<Arc<Stamp>>,
    value: Arc<V>,
}

pub struct ReadCache<V> {
    entries: DashMap<Uuid, Entry<V>>,
    changes: Arc<Changes>,
}

impl<V> std::fmt::Debug for ReadCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").field("entries", &self.entries.len()).finish_non_exhaustive()
    }
}

/// What a load read: the value (`None`: nothing to keep), and the ids it shows besides its owner.
pub type Loaded<V> = Option<(V, Vec<Uuid>)>;

impl<V> ReadCache<V> {
    pub fn new(changes: Arc<Changes>) -> Self {
        Self { entries: DashMap::new(), changes }
    }

    /// `owner`'s value: kept, when nothing it shows changed since; else `load`ed (and kept).
    /// `None` when `load` found nothing (not kept).
    pub async fn get<E, F, Fut>(&self, owner: Uuid, load: F) -> Result<Option<Arc<V>>, E>
    where
        E: From<redis::RedisError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded<V>, E>>,
    {
        let ttl = self.changes.ttl();
        if ttl.is_zero() {
            return Ok(load().await?.map(|(value, _)| Arc::new(value)));
        }
        let known: Arc<[Uuid]> = match self.entries.get(&owner) {
            Some(entry) if entry.loaded.elapsed() < ttl => {
                let (ids, stamp, value) = (Arc::clone(&entry.ids), entry.stamp.clone(), Arc::clone(&entry.value));
                drop(entry);
                if let Some(stamp) = stamp
                    && self.changes.unchanged(&ids, &stamp).await?
                {
                    return Ok(Some(value));
                }
                ids
            }
            Some(entry) => Arc::clone(&entry.ids),
            None => Arc::new([owner]),
        };
        let stamp = self.changes.stamp(&known).await?;
        let loaded_at = Instant::now();
        let Some((value, shown)) = load().await? else {
            self.entries.remove(&owner);
            return Ok(None);
        };
        let mut ids = Vec::with_capacity(shown.len() + 1);
        ids.push(owner);
        ids.extend(shown.into_iter().filter(|id| *id != owner));
        let stamp = (ids[..] == known[..]).then(|| Arc::new(stamp));
        let ids: Arc<[Uuid]> = ids.into();
        let value = Arc::new(value);
        if self.entries.len() > SWEEP_ABOVE {
            self.entries.retain(|_, entry| entry.loaded.elapsed() < ttl);
        }
        self.entries.insert(owner, Entry { loaded: loaded_at, ids, stamp, value: Arc::clone(&value) });
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    type Loads = std::sync::atomic::AtomicUsize;

    async fn read(cache: &ReadCache<i64>, owner: Uuid, value: i64, shown: Vec<Uuid>, loads: &Loads) -> i64 {
        let load = || async {
            loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, redis::RedisError>(Some((value, shown)))
        };
        *cache.get(owner, load).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn an_entry_is_served_until_an_id_it_shows_changes() {
        let changes = Arc::new(Changes::new(None, "t", Duration::from_secs(60)));
        let cache = ReadCache::new(changes.clone());
        let (user, account, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let loads = Loads::default();
        assert_eq!(read(&cache, user, 1, vec![account], &loads).await, 1);
        // The first read found an account it had not stamped: the second loads again.
        assert_eq!(read(&cache, user, 2, vec![account], &loads).await, 2);
        assert_eq!(read(&cache, user, 3, vec![account], &loads).await, 2, "served from memory");
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
        changes.changed(&[account]).await;
        assert_eq!(read(&cache, user, 4, vec![account], &loads).await, 4, "the account changed");
        assert_eq!(read(&cache, user, 5, vec![account], &loads).await, 4);
        changes.changed(&[user]).await;
        assert_eq!(read(&cache, user, 6, vec![account, other], &loads).await, 6, "the user changed");
        assert_eq!(read(&cache, user, 7, vec![account, other], &loads).await, 7, "a new id was not stamped");
        assert_eq!(read(&cache, user, 8, vec![account, other], &loads).await, 7);
    }

    #[tokio::test]
    async fn a_change_during_a_load_is_not_hidden() {
        let changes = Arc::new(Changes::new(None, "t", Duration::from_secs(60)));
        let cache = ReadCache::new(changes.clone());
        let user = Uuid::now_v7();
        let loads = Loads::default();
        // A write commits after the read's stamp and before its database read returns.
        let racing = || async {
            changes.changed(&[user]).await;
            Ok::<_, redis::RedisError>(Some((2, vec![])))
        };
        assert_eq!(*cache.get(user, racing).await.unwrap().unwrap(), 2);
        assert_eq!(read(&cache, user, 3, vec![], &loads).await, 3, "the raced entry is not served");
    }

    #[tokio::test]
    async fn entries_expire_and_a_zero_ttl_keeps_nothing() {
        let changes = Arc::new(Changes::new(None, "t", Duration::from_millis(30)));
        let cache = ReadCache::new(changes);
        let user = Uuid::now_v7();
        let loads = Loads::default();
        read(&cache, user, 1, vec![], &loads).await;
        assert_eq!(read(&cache, user, 2, vec![], &loads).await, 1);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(read(&cache, user, 3, vec![], &loads).await, 3);

        let off = ReadCache::new(Arc::new(Changes::local_only()));
        read(&off, user, 1, vec![], &loads).await;
        assert_eq!(read(&off, user, 2, vec![], &loads).await, 2);
    }
}
