//! Accounts and money: a double-entry ledger whose mutations run on per-account actors.
//!
//! `service::Ledger` is the entry point. A money movement becomes a `command::Command` for the
//! account's actor; `commit` commits the actors' batches (`plan` decides, `write` writes, `store`
//! holds every statement). `directory` caches what never changes about an account.

pub mod account;
mod closing;
pub mod command;
pub mod commit;
pub mod desk;
pub mod directory;
pub mod entry;
mod events;
pub mod expiry;
pub mod flags;
pub mod history;
pub mod hold;
pub mod idempotency;
pub mod money;
pub mod notify;
pub mod number;
pub mod plan;
pub mod problems;
pub mod range;
pub mod reference;
pub mod retry;
pub mod service;
pub mod staff_view;
pub mod store;
pub mod transaction;
pub mod verify;
mod write;
