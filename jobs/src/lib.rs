//! tresor's background work: job types, their handlers, and the worker that runs them.
//!
//! This crate does not depend on the application: what a handler needs from it (the mail
//! outbox, the tables to clean, the audit trail) is handed in through small traits
//! ([`handlers::Mailbox`], [`handlers::MaintenanceTask`], [`handlers::Sweeper`],
//! [`handlers::DocumentScanner`]) that the
//! application implements.

pub mod email;
pub mod error;
pub mod failure;
pub mod handlers;
pub mod job;
pub mod metrics;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod worker;

pub use error::JobError;
pub use job::{BuildExport, Job, RunScheduledTransfer, ScanDocument, SendEmail, Tick, queues};
pub use store::{Deferred, Store};
