//! Opening a case for a flagged transfer, in the committing transaction (so every flagged
//! transfer has exactly one: `cases_entry` is unique). Cases are worked by `crate::cases`; the
//! row is written here because the ledger's transaction is where the flag is raised.

use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::time;

pub struct NewCase<'a> {
    pub kind: &'static str,
    pub summary: &'a str,
    pub entry: Uuid,
    pub account: Uuid,
    pub user: Uuid,
}

#[tracing::instrument(skip_all, fields(kind = case.kind))]
pub async fn open(conn: &mut AnyConnection, case: &NewCase<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (id, kind, status, summary, entry_id, account_id, user_id, created_at) \
         VALUES ($1, $2, 'open', $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(case.kind)
    .bind(case.summary)
    .bind(case.entry.to_string())
    .bind(case.account.to_string())
    .bind(case.user.to_string())
    .bind(time::to_db(time::now()))
    .execute(conn)
    .await?;
    metrics::counter!(crate::business_metrics::CASES_OPENED, "kind" => case.kind).increment(1);
    Ok(())
}
