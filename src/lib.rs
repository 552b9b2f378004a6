//! tresor: a secure retail-banking backend.

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
pub mod documents;
pub mod error;
pub mod http;
pub mod kyc;
pub mod ledger;
pub mod mail;
pub mod redis;
pub mod state;
pub mod telemetry;
