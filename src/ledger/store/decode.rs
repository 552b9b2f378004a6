//! Decoding ids and times from their portable text columns. `crate::db::decode` is meant to be
//! the one place for this; these have its names and signatures so that, once it exists, the
//! ledger's store imports it instead and this file goes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub fn uuid(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub fn time(raw: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    crate::db::time::from_db(raw)
}
