//! tresor's background work: job types, their handlers, and the worker that runs them.
//!
//! This crate does not depend on the application: what a handler needs from it (the database,
//! keys, the mail transport) is handed in through small traits or plain data.

pub mod email;
