//! Finds or starts the actor of a key. An actor that stopped — passivated after idling, or
//! killed by a panic — is noticed by its disconnected address and started afresh on next use:
//! that is the supervision. Requests that were in its mailbox when it died get an error (their
//! callers see `MailboxError`), none is dropped silently.

use std::hash::Hash;
use std::sync::Arc;

use actix::{Actor, Addr, Context};
use dashmap::DashMap;

use crate::shards::Shards;

type Factory<K, A> = dyn Fn(&K) -> A + Send + Sync;

pub struct Registry<K, A: Actor> {
    shards: Arc<Shards>,
    live: DashMap<K, Addr<A>>,
    factory: Box<Factory<K, A>>,
}

impl<K, A> Registry<K, A>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    A: Actor<Context = Context<A>> + Send,
{
    pub fn new(shards: Arc<Shards>, factory: impl Fn(&K) -> A + Send + Sync + 'static) -> Self {
        Self { shards, live: DashMap::new(), factory: Box::new(factory) }
    }

    /// The running actor of `key`, started on its shard if there is none.
    pub fn get(&self, key: &K) -> Addr<A> {
        if let Some(addr) = self.live.get(key)
            && addr.connected()
        {
            return addr.clone();
        }
        // Start under the entry's lock, so two callers cannot start two actors for one key.
        let mut entry = self.live.entry(key.clone()).or_insert_with(|| self.start(key));
        if !entry.connected() {
            *entry = self.start(key);
        }
        entry.clone()
    }

    fn start(&self, key: &K) -> Addr<A> {
        let actor = (self.factory)(key);
        A::start_in_arbiter(&self.shards.for_key(key), move |_| actor)
    }

    /// Forgets the addresses of actors that have stopped (their memory is already freed; this
    /// frees the map entries). Cheap enough to call periodically.
    pub fn prune(&self) -> usize {
        let before = self.live.len();
        self.live.retain(|_, addr| addr.connected());
        before - self.live.len()
    }

    /// Actors currently known to be running.
    pub fn live(&self) -> usize {
        self.live.iter().filter(|entry| entry.value().connected()).count()
    }
}
