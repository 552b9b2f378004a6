//! The documents' SQL, one file per concern: `slots` (the `documents` rows a version goes
//! into), `versions` (recording versions and reading them as clients see them), `scans` (stored
//! files and scan verdicts) and `keys` (re-sealing data keys). One code path for SQLite and
//! PostgreSQL (portable types, `$N`); row locks come from the connection's dialect.

pub mod keys;
pub mod scans;
pub mod slots;
pub mod versions;

/// A stored document type.
fn document_type(raw: &str) -> Result<super::DocumentType, sqlx::Error> {
    super::DocumentType::parse(raw).map_err(|e| sqlx::Error::Decode(e.into()))
}
