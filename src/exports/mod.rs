//! Exports built in the background: a user's own data (`GET /v1/users/me/export`) and, for
//! staff, the audit log. A request inserts a `pending` row and its `build_export` job in one
//! transaction; the job builds the file, seals it into the row and (for a user's export) mails
//! a signed link; `GET /v1/exports/{token}` serves it to the bearer of that link until it
//! expires; `cleanup` then drops the file. The sweeper re-enqueues requests whose job was lost.

mod build;
mod content;
pub mod link;
mod maintenance;
mod model;
mod service;
mod store;

pub use maintenance::{ExpiredExports, ExportSweeper};
pub use model::{Export, ExportKind, ExportStatus, Format};
pub use service::{Download, Exports, Request, StaffExport, reseal};
