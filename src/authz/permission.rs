//! Permissions (`resource:action`) and the roles of docs/api.md as bundles of them — the one place
//! that says which role may do what.

use serde::{Deserialize, Serialize};

use crate::identity::Role;

/// Everything a staff endpoint can require. Names are part of the API (`POST /v1/authz/check`,
/// grants), so they never change once published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "users:create")]
    UsersCreate,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "users:lock")]
    UsersLock,
    #[serde(rename = "roles:manage")]
    RolesManage,
    #[serde(rename = "kyc:review")]
    KycReview,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "audit:export")]
    AuditExport,
    #[serde(rename = "jobs:read")]
    JobsRead,
    #[serde(rename = "jobs:retry")]
    JobsRetry,
    #[serde(rename = "accounts:read")]
    AccountsRead,
    #[serde(rename = "accounts:manage")]
    AccountsManage,
    #[serde(rename = "transactions:reverse")]
    TransactionsReverse,
    #[serde(rename = "cases:manage")]
    CasesManage,
    #[serde(rename = "pii:read")]
    PiiRead,
    #[serde(rename = "approvals:decide")]
    ApprovalsDecide,
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    #[serde(rename = "mfa:reset")]
    MfaReset,
}

impl Permission {
    pub const ALL: [Self; 17] = [
        Self::UsersCreate,
        Self::UsersRead,
        Self::UsersLock,
        Self::RolesManage,
        Self::KycReview,
        Self::AuditRead,
        Self::AuditExport,
        Self::JobsRead,
        Self::JobsRetry,
        Self::AccountsRead,
        Self::AccountsManage,
        Self::TransactionsReverse,
        Self::CasesManage,
        Self::PiiRead,
        Self::ApprovalsDecide,
        Self::WebhooksManage,
        Self::MfaReset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::UsersCreate => "users:create",
            Self::UsersRead => "users:read",
            Self::UsersLock => "users:lock",
            Self::RolesManage => "roles:manage",
            Self::KycReview => "kyc:review",
            Self::AuditRead => "audit:read",
            Self::AuditExport => "audit:export",
            Self::JobsRead => "jobs:read",
            Self::JobsRetry => "jobs:retry",
            Self::AccountsRead => "accounts:read",
            Self::AccountsManage => "accounts:manage",
            Self::TransactionsReverse => "transactions:reverse",
            Self::CasesManage => "cases:manage",
            Self::PiiRead => "pii:read",
            Self::ApprovalsDecide => "approvals:decide",
            Self::WebhooksManage => "webhooks:manage",
            Self::MfaReset => "mfa:reset",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == raw.trim())
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The bundle of each role (docs/api.md, Roles). Customers hold no staff permission.
pub fn bundle(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Customer => &[],
        // Read users, unlock (and lock) accounts; read customers' accounts, work cases, ask for
        // MFA resets (which someone with `approvals:decide` approves).
        Role::Support => &[UsersRead, UsersLock, AccountsRead, CasesManage, MfaReset],
        // Review KYC, with the identity the customer declared.
        Role::KycOfficer => &[KycReview, PiiRead],
        // Read-only: audit logs, security events, exports, customers' accounts.
        Role::Auditor => &[AuditRead, AuditExport, AccountsRead],
        // Everything, including managing roles.
        Role::Admin => &Permission::ALL,
    }
}

/// Whether any of `roles` carries `permission`.
pub fn roles_allow(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|role| bundle(*role).contains(&permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.name()), Some(permission));
            assert_eq!(serde_json::to_value(permission).unwrap(), permission.name());
        }
        assert_eq!(Permission::parse("users:delete"), None);
    }

    #[test]
    fn bundles_follow_api_md() {
        assert!(bundle(Role::Customer).is_empty());
        assert!(roles_allow(&[Role::Support], Permission::UsersLock));
        assert!(!roles_allow(&[Role::Support], Permission::RolesManage));
        assert!(roles_allow(&[Role::KycOfficer], Permission::KycReview));
        assert!(!roles_allow(&[Role::Auditor], Permission::UsersRead));
        assert!(Permission::ALL.iter().all(|p| roles_allow(&[Role::Admin], *p)));
        assert!(roles_allow(&[Role::Customer, Role::Auditor], Permission::AuditRead));
        assert!(roles_allow(&[Role::Support], Permission::MfaReset));
        assert!(!roles_allow(&[Role::Support], Permission::ApprovalsDecide));
        assert!(roles_allow(&[Role::KycOfficer], Permission::PiiRead));
        assert!(roles_allow(&[Role::Auditor], Permission::AccountsRead));
        assert!(!roles_allow(&[Role::Auditor], Permission::AccountsManage));
    }
}
