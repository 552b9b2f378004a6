//! Scheduled and recurring transfers: customers' standing orders (`service`), run by the job
//! queue (`runner`): a tick finds due occurrences, each occurrence is its own job and moves
//! money through the ledger under an idempotency key made of the schedule and the day.

pub mod model;
mod runner;
mod service;
mod store;

pub use runner::Runner;
pub use service::{NewSchedule, ScheduledTransfers};
