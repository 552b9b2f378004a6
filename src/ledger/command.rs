//! What the service asks an account's actor to do, and what comes back.

use std::sync::Arc;

use chrono::{DateTime, Utc};
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
    /// Set when this command places or ends a hold on the actor's account (see `HoldOp`).
    pub hold: Option<HoldOp>,
}

/// A hold on the actor's account: money reserved without moving (a card authorization), and
/// the end of that reservation. The command's `amount` is what is reserved, captured or
/// released; its `movement` is `Withdrawal` (a capture posts like one, to the cash account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldOp {
    /// Reserves the amount: nothing posts, the account's held total grows (decided and fenced
    /// like a debit). With a card's `daily_limit`, what the card holds and captured today plus
    /// this amount must stay within it, decided under the account's lock.
    Place { id: Uuid, card: Option<Uuid>, daily_limit: Option<i64>, expires_at: DateTime<Utc> },
    /// Posts the amount (≤ `held`, the open hold's amount) as a card purchase and ends the hold,
    /// releasing the rest.
    Capture { id: Uuid, held: i64 },
    /// Ends the open hold (of `held`) without posting: released, or expired by the job.
    Release { id: Uuid, held: i64, expired: bool },
    /// Credits back part of what the captured hold `id` took (a `Deposit`): at most what was
    /// captured less what was refunded before.
    Refund { id: Uuid },
}

impl HoldOp {
    pub fn id(&self) -> Uuid {
        match self {
            Self::Place { id, .. } | Self::Capture { id, .. } | Self::Release { id, .. } | Self::Refund { id } => *id,
        }
    }
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
    /// Whether the command takes money from the account (or reserves it): decided against the
    /// available balance and fenced.
    pub fn is_debit(&self) -> bool {
        match &self.hold {
            None | Some(HoldOp::Place { .. }) => self.movement != Movement::Deposit,
            // Ending a hold only ever makes money available; a refund is a credit.
            Some(HoldOp::Capture { .. } | HoldOp::Release { .. } | HoldOp::Refund { .. }) => false,
        }
    }

    /// The change to the actor's account's balance.
    pub fn delta(&self) -> i64 {
        match &self.hold {
            Some(HoldOp::Place { .. } | HoldOp::Release { .. }) => 0,
            Some(HoldOp::Capture { .. }) => -self.amount.minor_units(),
            Some(HoldOp::Refund { .. }) => self.amount.minor_units(),
            None if self.movement == Movement::Deposit => self.amount.minor_units(),
            None => -self.amount.minor_units(),
        }
    }

    /// The change to the account's held total (its open holds).
    pub fn held_delta(&self) -> i64 {
        match &self.hold {
            None | Some(HoldOp::Refund { .. }) => 0,
            Some(HoldOp::Place { .. }) => self.amount.minor_units(),
            Some(HoldOp::Capture { held, .. } | HoldOp::Release { held, .. }) => -held,
        }
    }

    /// Whether the command posts a journal entry (placing or releasing a hold does not).
    pub fn posts(&self) -> bool {
        matches!(self.hold, None | Some(HoldOp::Capture { .. } | HoldOp::Refund { .. }))
    }

    /// Whether the command changes a hold: fenced like a debit, so two processes never end one
    /// hold twice.
    pub fn touches_hold(&self) -> bool {
        self.hold.is_some()
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
