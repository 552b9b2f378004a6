//! Virtual debit cards: issuing (a random PAN under the configured BIN with a Luhn check digit,
//! sealed at rest and found by a blind index; a CVV derived by a keyed MAC, never stored),
//! managing them, and the card network's authorizations, captures and releases — which become
//! holds on the card's account in the ledger.

mod alerts;
pub mod card;
pub mod network;
pub mod pan;
pub mod secrets;
mod service;
pub mod store;

pub use service::Cards;
