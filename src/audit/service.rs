//! [`Audit`]: reading the chain, checking it and linking what the ledger staged. Writing an
//! entry is not a method of it: an entry joins the transaction of the change it describes, so
//! [`super::record`] takes the caller's connection, and rolls back with the change.

use std::time::Duration;

use super::query::{AuditFilter, Direction};
use super::{ChainReport, Entry, linker, query, verify};
use crate::db::Db;

#[derive(Clone, Debug)]
pub struct Audit {
    db: Db,
}

impl Audit {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Chains every entry staged so far; answers how many it linked.
    pub async fn link_pending(&self) -> Result<u64, sqlx::Error> {
        linker::link_pending(&self.db).await
    }

    /// Links staged entries every `every` until the process stops.
    pub async fn run_linker(self, every: Duration) {
        linker::run_linker(self.db, every).await;
    }

    /// Recomputes the chain from the first entry (after linking what is staged).
    pub async fn verify(&self) -> Result<ChainReport, sqlx::Error> {
        verify::verify(&self.db).await
    }

    /// A page of entries matching `filter`, in `direction` (after linking what is staged).
    pub async fn page(
        &self,
        filter: &AuditFilter,
        direction: Direction,
        limit: u32,
    ) -> Result<Vec<Entry>, sqlx::Error> {
        query::page(&self.db, filter, direction, limit).await
    }
}
