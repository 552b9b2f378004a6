//! What staff do through `/v1/admin/*`: manage users (create/invite, lock, roles, grants) and
//! read what the service records (audit chain, security events, notifications, counts, jobs).
//! Every call is audited with the acting staff member as actor; handlers in `crate::http::admin`
//! reach these only through the permission guard (`crate::authz`).

pub mod lists;
pub mod users;

use serde_json::Value;

use crate::audit::{self, Event};
use crate::error::ApiError;
use crate::http::guards::StaffCaller as Staff;
use crate::state::AppState;

/// Records that `staff` read something (who looked at what is part of the record).
pub async fn audit_read(
    state: &AppState,
    staff: &Staff,
    action: &'static str,
    target_type: &'static str,
    target_id: Option<String>,
    detail: Value,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    let event = Event { action, target_type, target_id, old: None, new: Some(detail) };
    audit::append(&mut tx, state.db.dialect(), &staff.actor, event).await?;
    tx.commit().await?;
    Ok(())
}

/// `{"items": [...], "next_cursor": ...}` (API.md, Lists).
#[derive(Debug, serde::Serialize)]
pub struct Page<T: serde::Serialize> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
