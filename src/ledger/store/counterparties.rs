//! What a batch needs to know of each transfer's destination: its status (for the plan) and
//! whom to email (for the recipient's mail), in one read under the transaction's locks.

use std::collections::HashMap;

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::batch;
use crate::db::decode;
use crate::ledger::account::AccountStatus;
use crate::ledger::notify::Recipients;

#[derive(Default)]
pub struct Counterparties {
    pub statuses: HashMap<Uuid, AccountStatus>,
    pub recipients: Recipients,
    /// The owner of every account read (whose live feed shows its events).
    pub owners: crate::ledger::events::Owners,
}

#[derive(sqlx::FromRow)]
struct CounterpartyRow {
    id: String,
    status: String,
    user_id: Option<String>,
    email: Option<String>,
    full_name: Option<String>,
}

/// The customer accounts `ids` (sorted, distinct) with their owners, and their owners' contact
/// when the owner is active and not erased.
#[tracing::instrument(skip_all, fields(accounts = ids.len()))]
pub async fn read(conn: &mut AnyConnection, ids: &[String]) -> Result<Counterparties, sqlx::Error> {
    let mut found = Counterparties { statuses: HashMap::new(), recipients: HashMap::new(), owners: HashMap::new() };
    if ids.is_empty() {
        return Ok(found);
    }
    let sql = format!(
        "SELECT a.id, a.status, a.user_id, u.email, u.full_name FROM accounts a \
         LEFT JOIN users u ON u.id = a.user_id AND u.status = 'active' AND u.email IS NOT NULL \
         WHERE a.is_system = 0 AND a.id IN ({})",
        batch::list(1, ids.len())
    );
    let mut query = sqlx::query_as::<_, CounterpartyRow>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let id = decode::uuid(&row.id)?;
        found.statuses.insert(id, AccountStatus::parse(&row.status)?);
        if let Some(owner) = row.user_id.as_deref() {
            found.owners.insert(id, decode::uuid(owner)?);
        }
        if let (Some(email), Some(name)) = (row.email, row.full_name) {
            found.recipients.insert(id, (email, name));
        }
    }
    Ok(found)
}
