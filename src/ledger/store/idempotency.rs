//! The `idempotency_keys` table: the responses kept under each key, read back for a repeated
//! key and written with the batch that produced them.

use std::collections::HashMap;

use sqlx::{Any, Executor};

use crate::db::batch;
use crate::db::insert::Insert;
use crate::ledger::command::{Idempotency, Outcome};
use crate::ledger::idempotency::Saved;

#[derive(sqlx::FromRow)]
struct SavedRow {
    scope: String,
    fingerprint: String,
    status: i64,
    body: String,
}

/// The responses kept under `scopes`, by scope (absent: the key is new).
#[tracing::instrument(skip_all, fields(keys = scopes.len()))]
pub async fn saved<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    scopes: &[&str],
) -> Result<HashMap<String, Saved>, sqlx::Error> {
    if scopes.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT scope, fingerprint, status, body FROM idempotency_keys WHERE scope IN ({})",
        batch::list(1, scopes.len())
    );
    let mut query = sqlx::query_as::<_, SavedRow>(sqlx::AssertSqlSafe(sql));
    for scope in scopes {
        query = query.bind(*scope);
    }
    let rows = query.fetch_all(executor).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let saved = Saved {
                fingerprint: row.fingerprint,
                status: u16::try_from(row.status).unwrap_or(500),
                body: row.body,
            };
            (row.scope, saved)
        })
        .collect())
}

/// Keeps each response under its idempotency key.
pub fn rows(kept: &[(&Idempotency, Outcome)], at: &str) -> Insert {
    let mut rows = Insert::new("idempotency_keys", &["scope", "fingerprint", "status", "body", "created_at"]);
    for (key, response) in kept {
        rows.row([
            key.scope.clone().into(),
            key.fingerprint.clone().into(),
            i64::from(response.status).into(),
            response.body.clone().into(),
            at.into(),
        ]);
    }
    rows
}
