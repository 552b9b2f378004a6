//! Accounts and money: a double-entry ledger whose mutations run on per-account actors.

pub mod account;
pub mod accounts;
mod balances;
mod combiner;
pub mod command;
pub mod commit;
pub mod directory;
pub mod flags;
pub mod history;
pub mod idempotency;
pub mod limits;
pub mod money;
pub mod notify;
pub mod number;
pub mod plan;
pub mod reference;
mod rows;
pub mod service;
pub mod transaction;
pub mod verify;
mod write;
