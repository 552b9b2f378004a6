//! Monthly account statements: opening and closing balance and every posting of a month, as
//! CSV and PDF, sealed at rest; built by the monthly `build_statements` job (and
//! `tresor statements build`), downloaded through signed five-minute links.

mod content;
mod link;
pub mod model;
mod pdf;
mod service;
mod store;

pub use service::{Built, StatementFile, StatementLink, Statements, reseal};
