//! Inserting a batch's rows: journal entries and their postings, and idempotency records —
//! multi-row statements, one per table.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::command::{Command, Idempotency, Movement, Outcome};
use super::write::Entry;
use crate::db::batch;

fn kind_of(command: &Command) -> &'static str {
    match command.movement {
        Movement::Deposit => "deposit",
        Movement::Withdrawal => "withdrawal",
        Movement::Transfer => "transfer",
    }
}

pub async fn insert_entries(conn: &mut AnyConnection, entries: &[Entry<'_>], at: &str) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO journal_entries (id, reference, kind, currency, amount, description, initiated_by, created_at) \
         VALUES {}",
        batch::values(entries.len(), 8)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for entry in entries {
        let command = entry.command;
        query = query
            .bind(entry.id.to_string())
            .bind(entry.reference.clone())
            .bind(kind_of(command))
            .bind(command.currency.code())
            .bind(command.amount.minor_units())
            .bind(command.description.clone())
            .bind(command.initiated_by.to_string())
            .bind(at.to_owned());
    }
    query.execute(&mut *conn).await?;

    let sql = format!(
        "INSERT INTO postings (id, entry_id, account_id, seq, amount, balance_after, counterparty_account_id, \
         created_at) VALUES {}",
        batch::values(entries.len() * 2, 8)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for entry in entries {
        let command = entry.command;
        let transfer = command.movement == Movement::Transfer;
        let (this, other) = (entry.account.to_string(), command.counter_account.to_string());
        query = query
            .bind(Uuid::now_v7().to_string())
            .bind(entry.id.to_string())
            .bind(this.clone())
            .bind(Some(entry.seq))
            .bind(command.delta())
            .bind(Some(entry.balance_after))
            .bind(transfer.then(|| other.clone()))
            .bind(at.to_owned())
            .bind(Uuid::now_v7().to_string())
            .bind(entry.id.to_string())
            .bind(other)
            .bind(entry.counter_seq)
            .bind(-command.delta())
            .bind(entry.counter_balance_after)
            .bind(transfer.then_some(this))
            .bind(at.to_owned());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Keeps each response under its idempotency key.
pub async fn insert_idempotency(
    conn: &mut AnyConnection,
    kept: &[(&Idempotency, Outcome)],
    at: &str,
) -> Result<(), sqlx::Error> {
    if kept.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO idempotency_keys (scope, fingerprint, status, body, created_at) VALUES {}",
        batch::values(kept.len(), 5)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (key, response) in kept {
        query = query
            .bind(key.scope.clone())
            .bind(key.fingerprint.clone())
            .bind(i64::from(response.status))
            .bind(response.body.clone())
            .bind(at.to_owned());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}
