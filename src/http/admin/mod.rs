//! `/v1/admin/*`: staff endpoints. Each states its permission in its signature
//! (`Requires<perm::…>`, see `crate::authz`), so none can be reached without it, MFA enabled,
//! and a session that passed MFA.

pub mod accounts;
pub mod approvals;
pub mod cases;
pub mod exports;
pub mod identity;
pub mod kyc;
pub mod records;
pub mod users;
pub mod webhooks;

pub use super::paging::{PageQuery, cursor, limit};
