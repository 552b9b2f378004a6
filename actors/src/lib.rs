//! tresor's actors: one actor per active account serializes that account's balance mutations,
//! started on first use by a registry sharded across arbiters (one per core), stopped when idle,
//! restarted on next use after a crash. The actor batches what arrives while it commits (group
//! commit); the database work itself is the application's, behind [`account::AccountStore`].
//!
//! This crate does not depend on the application: it knows nothing of SQL or money, only of
//! keys, commands, outcomes and a store that commits batches of them.

pub mod account;
pub mod registry;
pub mod shards;

pub use account::{AccountActor, AccountStore, Committed, Execute, Tuning};
pub use registry::Registry;
pub use shards::Shards;
