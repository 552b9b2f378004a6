//! The roles a user holds. Stored per user; the RBAC layer maps them to permissions.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Support,
    KycOfficer,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Self; 5] = [Self::Customer, Self::Support, Self::KycOfficer, Self::Auditor, Self::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Support => "support",
            Self::KycOfficer => "kyc_officer",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == raw.trim())
    }

    /// Staff roles must have MFA before any staff endpoint answers.
    pub fn is_staff(self) -> bool {
        self != Self::Customer
    }
}
