//! What staff do through `/v1/admin/*`, as the [`Staff`] capability: manage users
//! (create/invite, lock, roles, grants) and read what the service records (audit chain,
//! security events, notifications, counts, jobs). Every call is audited with the acting staff
//! member as actor; handlers in `crate::http::admin` reach these only through the permission
//! guard (`crate::http::guards`).

mod changes;
mod error;
mod identity_flows;
pub mod lists;
mod service;
pub mod store;
pub mod users;

pub use error::StaffError;
pub use identity_flows::AccountCreation;
pub use service::Staff;

/// `{"items": [...], "next_cursor": ...}` (API.md, Lists).
#[derive(Debug, serde::Serialize)]
pub struct Page<T: serde::Serialize> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
