//! tresor: a secure retail-banking backend.

pub mod audit;
pub mod authz;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
pub mod documents;
pub mod error;
pub mod exports;
pub mod http;
pub mod identity;
pub mod kyc;
pub mod ledger;
pub mod mail;
pub mod mfa;
pub mod notifications;
pub mod queue;
pub mod ratelimit;
pub mod redis;
pub mod security_events;
pub mod staff;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod worker;
