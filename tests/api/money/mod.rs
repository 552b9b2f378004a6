//! Money beyond instant transfers: holds (card authorizations reserve money, captures post it,
//! releases and expiry end them), virtual cards and the card network's endpoints, and the
//! ledger's invariants under concurrent holds and debits.

mod cards;
mod concurrency;
mod events;
mod holds;
mod scheduled;
mod secrets;
mod statements;
