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
}

impl Permission {
    pub const ALL: [Self; 8] = [
        Self::UsersCreate,
        Self::UsersRead,
        Self::UsersLock,
        Self::RolesManage,
        Self::KycReview,
        Self::AuditRead,
        Self::AuditExport,
        Self::JobsRead,
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
        // Read users, unlock (and lock) accounts.
        Role::Support => &[UsersRead, UsersLock],
        // Review KYC.
        Role::KycOfficer => &[KycReview],
        // Read-only: audit logs, security events, exports.
        Role::Auditor => &[AuditRead, AuditExport],
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
    }
}
