//! A fixed set of arbiters (event-loop threads), one per core by default. Keys are spread over
//! them by hash, so a key's actor always lives on the same thread while it is alive.

use std::hash::{BuildHasher, Hash};

use actix_rt::{Arbiter, ArbiterHandle};

pub struct Shards {
    arbiters: Vec<Arbiter>,
    hasher: std::collections::hash_map::RandomState,
}

impl Shards {
    /// Starts `count` arbiters (at least one). Must be called inside an actix System.
    pub fn start(count: usize) -> Self {
        let arbiters = (0..count.max(1)).map(|_| Arbiter::new()).collect();
        Self { arbiters, hasher: std::collections::hash_map::RandomState::new() }
    }

    /// One arbiter per available core.
    pub fn per_core() -> Self {
        Self::start(std::thread::available_parallelism().map_or(1, usize::from))
    }

    pub fn len(&self) -> usize {
        self.arbiters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arbiters.is_empty()
    }

    /// The arbiter that hosts `key`'s actor.
    pub fn for_key<K: Hash>(&self, key: &K) -> ArbiterHandle {
        let index = self.hasher.hash_one(key) as usize % self.arbiters.len();
        self.arbiters[index].handle()
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
    }
}
