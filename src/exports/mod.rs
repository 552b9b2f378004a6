//! Exports built in the background: a user's own data (`GET /v1/users/me/export`) and, for
//! staff, the audit log. A request inserts a `pending` row and its `build_export` job in one
//! transaction; the job builds the file, seals it into the row and (for a user's export) mails
//! a signed link; `GET /v1/exports/{token}` serves it to the bearer of that link until it
//! expires; `cleanup` then drops the file. The sweeper re-enqueues requests whose job was lost.

mod build;
mod content;
pub mod link;
mod maintenance;
pub mod store;

use serde::Deserialize;

pub use build::{Download, Exporter, Request, download, request};
pub use maintenance::{ExpiredExports, ExportSweeper};
pub use store::{Export, ExportKind, ExportStatus, Format};

/// The `[exports]` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSettings {
    /// How long a finished export (and its link) stays downloadable.
    pub ttl_hours: u32,
}

impl ExportSettings {
    pub fn ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.ttl_hours))
    }
}
