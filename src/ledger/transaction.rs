//! A transaction as an account holder sees it: one side of a journal entry.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::money::Currency;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    Deposit,
    Withdrawal,
    TransferIn,
    TransferOut,
    /// The compensating entry of an earlier transaction (`reverses` names it).
    Reversal,
    /// A card purchase: the capture of a card authorization's hold.
    Card,
}

impl TransactionKind {
    /// The name clients see (`transfer_in`, `card`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
            Self::TransferIn => "transfer_in",
            Self::TransferOut => "transfer_out",
            Self::Reversal => "reversal",
            Self::Card => "card",
        }
    }

    pub fn is_credit(self) -> bool {
        matches!(self, Self::Deposit | Self::TransferIn)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Transaction {
    /// The journal entry's id (both sides of a transfer share it).
    pub id: Uuid,
    /// Unique and human-quotable, e.g. `TX-7K3MQ9PZ2A`.
    pub reference: String,
    pub kind: TransactionKind,
    /// `credit` (money in) or `debit` (money out).
    pub direction: &'static str,
    /// Minor units, always positive; `direction` says which way it moved.
    pub amount: i64,
    pub currency: Currency,
    /// This account's balance right after this transaction.
    pub balance_after: i64,
    /// The other account of a transfer; null for deposits and withdrawals.
    pub counterparty_number: Option<String>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// On a reversal: the transaction it reverses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses: Option<Uuid>,
    /// On a reversed transaction: the reversal that undid it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_by: Option<Uuid>,
}

impl Transaction {
    pub fn direction_of(kind: TransactionKind) -> &'static str {
        if kind.is_credit() { "credit" } else { "debit" }
    }

    /// `credit` or `debit` from the signed amount posted to the account.
    pub fn direction_of_amount(posted: i64) -> &'static str {
        if posted > 0 { "credit" } else { "debit" }
    }
}
