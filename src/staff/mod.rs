//! What staff do through `/v1/admin/*`, as the [`Staff`] capability: manage users
//! (create/invite, lock, roles, grants) and read what the service records (audit chain,
//! security events, notifications, counts, jobs). Every call is audited with the acting staff
//! member as actor; handlers in `crate::http::admin` reach these only through the permission
//! guard (`crate::http::guards`).

mod changes;
pub mod dashboard;
mod error;
mod figures;
pub mod lists;
mod service;
pub mod store;
pub mod users;

pub use error::StaffError;
pub use service::{Records, Staff};

/// `{"items": [...], "next_cursor": ...}` (docs/api.md, Lists).
#[derive(Debug, serde::Serialize)]
pub struct Page<T: serde::Serialize> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: serde::Serialize> Page<T> {
    /// A page of at most `limit` from `items` read with one extra: the extra only says there
    /// is more, and then the cursor is `cursor_of` the last item kept.
    pub fn from_one_extra(mut items: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(cursor_of) } else { None };
        Self { items, next_cursor }
    }
}
