//! All of the ledger's SQL, one file per concern. Functions take an executor (a pool for reads,
//! the caller's connection or transaction for writes), read the dialect from the connection when
//! it matters, and decode rows into `FromRow` structs before turning them into domain types.

pub mod accounts;
pub mod balances;
pub mod cases;
pub mod counterparties;
pub mod desk;
pub mod history;
pub mod holds;
pub mod idempotency;
pub mod journal;
pub mod reversals;
pub mod snapshots;
pub mod verify;
