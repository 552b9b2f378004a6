//! Opening a case for a flagged transfer, in the committing transaction (so every flagged
//! transfer has exactly one: `cases_entry` is unique). Cases are worked by `crate::cases`; the
//! row is written here because the ledger's transaction is where the flag is raised.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::time;
use crate::events::{self, EventType, NewEvent};

pub struct NewCase<'a> {
    pub kind: &'static str,
    pub summary: &'a str,
    pub entry: Uuid,
    pub account: Uuid,
    pub user: Uuid,
}

#[tracing::instrument(skip_all, fields(kind = case.kind))]
pub async fn open(conn: &mut AnyConnection, case: &NewCase<'_>) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO cases (id, kind, status, summary, entry_id, account_id, user_id, created_at) \
         VALUES ($1, $2, 'open', $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(case.kind)
    .bind(case.summary)
    .bind(case.entry.to_string())
    .bind(case.account.to_string())
    .bind(case.user.to_string())
    .bind(time::to_db(time::now()))
    .execute(&mut *conn)
    .await?;
    let data = serde_json::json!({"case_id": id, "kind": case.kind, "transaction_id": case.entry, "account_id": case.account, "status": "open"});
    events::record(conn, NewEvent::new(EventType::CaseOpened, ("case", id), None, data)).await?;
    metrics::counter!(crate::business_metrics::CASES_OPENED, "kind" => case.kind).increment(1);
    Ok(())
}
