//! What the service asks an account's actor to do, and what comes back.

use std::sync::Arc;

use uuid::Uuid;

use super::money::{Amount, Currency};
use crate::audit::Actor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Cash in: credit the account, debit the system cash account.
    Deposit,
    /// Cash out: debit the account, credit the system cash account.
    Withdrawal,
    /// Debit the account (the actor's), credit another customer account.
    Transfer,
}

/// The client's `Idempotency-Key`, scoped to the user, and the fingerprint of its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub scope: String,
    pub fingerprint: String,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub movement: Movement,
    pub amount: Amount,
    pub currency: Currency,
    /// The other side: the currency's cash account, or the transfer's destination.
    pub counter_account: Uuid,
    /// Shown to the client as `counterparty_number` (transfers only).
    pub counter_number: Option<String>,
    pub description: Option<String>,
    pub initiated_by: Uuid,
    pub idempotency: Option<Idempotency>,
    pub actor: Actor,
    /// Set when this command is the compensating entry of an earlier one: it then moves the
    /// original's money back (`movement` says how, seen from this actor's account).
    pub reverses: Option<Reverses>,
}

/// What a reversal command undoes, and the four-eyes request that approves it (decided in the
/// same transaction as the entry is written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reverses {
    pub original: Uuid,
    pub approval: Option<Approval>,
}

/// An approval decided by the reversal's own transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub id: Uuid,
    pub decided_by: Uuid,
    pub note: Option<String>,
}

impl Command {
    pub fn is_debit(&self) -> bool {
        self.movement != Movement::Deposit
    }

    /// The change to the actor's account.
    pub fn delta(&self) -> i64 {
        if self.is_debit() { -self.amount.minor_units() } else { self.amount.minor_units() }
    }
}

/// The response to send: status and exact body (kept for idempotent replays), and whether it is
/// a replay of an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Failures that are not answers: nothing was committed, the caller may retry.
#[derive(Clone, Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the account's actor stopped while the request was in flight")]
    ActorGone,
    #[error("the account is too contended right now")]
    Contended,
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}
