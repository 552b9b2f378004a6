//! Four eyes: an action one staff member asks for — a reversal above `[approvals]
//! reverse_above`, any MFA reset — is stored as a request that another staff member with
//! `approvals:decide` approves or rejects. Approving runs the action in the same transaction as
//! the decision (a reversal through the ledger's actors, the MFA reset through `Mfa`); the
//! requester can never decide their own request; both decisions are audited.

mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use service::{Approvals, ReversalRequested};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    Reversal,
    MfaReset,
}

impl ApprovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reversal => "reversal",
            Self::MfaReset => "mfa_reset",
        }
    }

    fn target_type(self) -> &'static str {
        match self {
            Self::Reversal => "transaction",
            Self::MfaReset => "user",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// A four-eyes request.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovalRequest {
    pub id: Uuid,
    pub kind: ApprovalKind,
    /// What the action applies to: a transaction (reversal) or a user (MFA reset).
    pub target: Uuid,
    /// `transaction` or `user`.
    pub target_type: String,
    pub requested_by: Uuid,
    pub reason: String,
    pub status: ApprovalStatus,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}
