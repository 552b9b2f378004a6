//! KYC state: submissions and staff reviews in their own insert-only tables keyed by user id,
//! mirrored into identity's `users.kyc_status`. [`Kyc`] is the service; each of its methods is
//! one transaction holding the change, its audit entry and the notification or email it causes.

mod effects;
mod error;
mod flow;
pub mod history;
mod queue;
mod service;
mod store;
mod submission;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use error::KycError;
pub use queue::QueueEntry;
pub use service::{DeclaredIdentity, Kyc};
pub use submission::Submission;

/// docs/api.md `kyc_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    NotStarted,
    Submitted,
    Approved,
    Rejected,
}

impl KycStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// `GET /v1/kyc`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KycState {
    pub status: KycStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
}

/// A staff decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}
