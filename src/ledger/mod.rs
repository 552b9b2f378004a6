//! Accounts and money: a double-entry ledger whose mutations run on per-account actors.

pub mod account;
pub mod accounts;
pub mod command;
pub mod commit;
pub mod history;
pub mod idempotency;
pub mod limits;
pub mod money;
pub mod number;
pub mod plan;
pub mod reference;
pub mod service;
pub mod transaction;
pub mod verify;
mod write;
