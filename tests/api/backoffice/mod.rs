//! The back office: staff and customers' accounts, freezes and closes, reversals with four
//! eyes, MFA resets, cases, notifications and the declared identity.

mod accounts;
mod approvals;
mod cases;
mod concurrency;
mod metrics;
mod openapi;
mod reversals;
