//! Black-box tests of the running service. One test binary (fewer link steps); one module per
//! concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod audit_staging;
mod authz;
mod backoffice;
mod browser;
mod cli;
mod console;
mod documents;
mod errors;
mod events;
mod exports;
mod health;
mod identity;
mod jobs;
mod kyc;
mod ledger;
mod limits;
mod mail;
mod mfa;
mod money;
mod multi_insert;
mod notifications;
mod oidc;
mod openapi;
mod ops;
mod paging;
mod signin;
mod support;
