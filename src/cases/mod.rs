//! Cases: what staff investigate. Every flagged transfer (large, velocity) opens one in the
//! transaction that flags it (`ledger::store::cases`); staff with `cases:manage` assign it, add
//! notes and resolve it with an outcome — cleared, a reversal requested (through the four-eyes
//! [`Approvals`](crate::approvals::Approvals)), or the account frozen (through the ledger) —
//! every step audited.

mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use service::Cases;

use crate::ledger::desk::StaffAccount;
use crate::ledger::transaction::Transaction;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Resolved,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing wrong after all.
    Cleared,
    /// The transaction's reversal was asked for (a four-eyes request, or posted at once at or
    /// below `[approvals] reverse_above`).
    ReversalRequested,
    /// The account was frozen.
    AccountFrozen,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cleared => "cleared",
            Self::ReversalRequested => "reversal_requested",
            Self::AccountFrozen => "account_frozen",
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: Uuid,
    /// `large_transfer` or `velocity`.
    pub kind: String,
    pub status: CaseStatus,
    pub summary: String,
    pub transaction_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    /// The customer.
    pub user_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub id: Uuid,
    pub author_id: Option<Uuid>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A case with what staff need to judge it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    /// The flagged transaction, as its account sees it.
    pub transaction: Option<Transaction>,
    /// The account, with its owner (the customer).
    pub account: Option<StaffAccount>,
    pub notes: Vec<Note>,
}
