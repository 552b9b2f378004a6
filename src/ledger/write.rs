//! Writing a decided batch: balances (ascending id order), journal entries, postings,
//! idempotency records and audit entries — multi-row statements, one transaction.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::command::{Command, Idempotency, Movement, Outcome};
use super::commit::Retry;
use super::plan::{Snapshot, Step};
use super::reference::new_reference;
use super::transaction::{Transaction, TransactionKind};
use crate::audit::{self, Event};
use crate::db::{Dialect, batch, time};

pub struct Written {
    /// The account's balance and version after the batch, when it changed.
    pub balance: Option<i64>,
    pub version: Option<i64>,
    /// One response per command, in order.
    pub responses: Vec<Outcome>,
}

struct Entry<'a> {
    index: usize,
    command: &'a Command,
    id: Uuid,
    reference: String,
    balance_after: i64,
    seq: i64,
    counter_balance_after: Option<i64>,
    counter_seq: Option<i64>,
}

pub async fn apply(
    conn: &mut AnyConnection,
    dialect: Dialect,
    account: Uuid,
    snapshot: &Snapshot,
    batch: &[Command],
    steps: &[Step],
) -> Result<Written, Retry> {
    let applied: Vec<usize> = (0..steps.len()).filter(|i| matches!(steps[*i], Step::Apply)).collect();
    let (mut balance, mut version) = (None, None);
    let mut entries = Vec::with_capacity(applied.len());
    if !applied.is_empty() {
        let balances = update_balances(conn, account, snapshot.version, batch, &applied).await?;
        let source = balances.source;
        balance = Some(source.balance);
        version = Some(source.version);
        // Walk forward from the state before the batch to each posting's balance and number.
        let total: i64 = applied.iter().map(|i| batch[*i].delta()).sum();
        let mut running = source.balance - total;
        let first_seq = source.seq - applied.len() as i64 + 1;
        let mut counter_running: HashMap<Uuid, (i64, i64)> = balances
            .counters
            .iter()
            .map(|(id, after)| (*id, (after.balance - after.credited, after.seq - after.postings)))
            .collect();
        for (seq, &index) in (first_seq..).zip(&applied) {
            let command = &batch[index];
            running += command.delta();
            let counter = counter_running.get_mut(&command.counter_account).map(|(balance, seq)| {
                *balance += command.amount.minor_units();
                *seq += 1;
                (*balance, *seq)
            });
            entries.push(Entry {
                index,
                command,
                id: Uuid::now_v7(),
                reference: new_reference(),
                balance_after: running,
                seq,
                counter_balance_after: counter.map(|c| c.0),
                counter_seq: counter.map(|c| c.1),
            });
        }
    }
    let at = time::now();
    insert_entries(conn, account, &entries, &time::to_db(at)).await?;
    let responses = responses(batch, steps, &entries, at);
    insert_idempotency(conn, batch, steps, &responses, &time::to_db(at)).await?;
    let events = entries.iter().map(|entry| (&entry.command.actor, audit_event(account, entry))).collect();
    audit::append_many(conn, dialect, events).await?;
    Ok(Written { balance, version, responses })
}

/// A row as the batch left it.
struct After {
    balance: i64,
    version: i64,
    seq: i64,
    /// What this batch added to it, and how many postings.
    credited: i64,
    postings: i64,
}

struct Balances {
    source: After,
    /// The credited customer accounts (transfer destinations).
    counters: BTreeMap<Uuid, After>,
}

fn after(row: &sqlx::any::AnyRow, credited: i64, postings: i64) -> Result<After, sqlx::Error> {
    Ok(After {
        balance: row.try_get("balance")?,
        version: row.try_get("version")?,
        seq: row.try_get("posting_seq")?,
        credited,
        postings,
    })
}

async fn update_balances(
    conn: &mut AnyConnection,
    account: Uuid,
    expected_version: i64,
    batch: &[Command],
    applied: &[usize],
) -> Result<Balances, Retry> {
    let delta: i64 = applied.iter().map(|i| batch[*i].delta()).sum();
    let debits = applied.iter().any(|i| batch[*i].is_debit());
    let postings = applied.len() as i64;
    let mut credits: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for i in applied {
        if batch[*i].movement == Movement::Transfer {
            let credit = credits.entry(batch[*i].counter_account).or_default();
            credit.0 += batch[*i].amount.minor_units();
            credit.1 += 1;
        }
    }
    // Every row in ascending id order, the actor's own account among them.
    let mut order: Vec<Uuid> = credits.keys().copied().chain([account]).collect();
    order.sort();
    let mut source = None;
    let mut counters = BTreeMap::new();
    for id in order {
        if id == account {
            // Debits are fenced by the version the batch was decided on; credits only add.
            let query = if debits {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2, version = version + 1 \
                     WHERE id = $3 AND version = $4 AND balance + $1 >= 0 AND status <> 'closed' \
                     RETURNING balance, version, posting_seq",
                )
                .bind(delta)
                .bind(postings)
                .bind(id.to_string())
                .bind(expected_version)
            } else {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
                     WHERE id = $3 AND status <> 'closed' RETURNING balance, version, posting_seq",
                )
                .bind(delta)
                .bind(postings)
                .bind(id.to_string())
            };
            let row = query.fetch_optional(&mut *conn).await?.ok_or(Retry::Stale)?;
            source = Some(after(&row, delta, postings)?);
        } else {
            let (credit, count) = credits[&id];
            let row = sqlx::query(
                "UPDATE accounts SET balance = balance + $1, posting_seq = posting_seq + $2 \
                 WHERE id = $3 AND status <> 'closed' AND is_system = 0 RETURNING balance, version, posting_seq",
            )
            .bind(credit)
            .bind(count)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Retry::Stale)?;
            counters.insert(id, after(&row, credit, count)?);
        }
    }
    let source = source.ok_or(Retry::Stale)?;
    Ok(Balances { source, counters })
}

fn kind_of(command: &Command) -> &'static str {
    match command.movement {
        Movement::Deposit => "deposit",
        Movement::Withdrawal => "withdrawal",
        Movement::Transfer => "transfer",
    }
}

async fn insert_entries(
    conn: &mut AnyConnection,
    account: Uuid,
    entries: &[Entry<'_>],
    at: &str,
) -> Result<(), sqlx::Error> {
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
        let (this, other) = (account.to_string(), command.counter_account.to_string());
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

fn transaction_kind(movement: Movement) -> TransactionKind {
    match movement {
        Movement::Deposit => TransactionKind::Deposit,
        Movement::Withdrawal => TransactionKind::Withdrawal,
        Movement::Transfer => TransactionKind::TransferOut,
    }
}

fn responses(
    batch: &[Command],
    steps: &[Step],
    entries: &[Entry<'_>],
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<Outcome> {
    let by_index: HashMap<usize, &Entry<'_>> = entries.iter().map(|e| (e.index, e)).collect();
    let mut out: Vec<Outcome> = Vec::with_capacity(steps.len());
    for (index, step) in steps.iter().enumerate() {
        let outcome = match step {
            Step::Apply => {
                let entry = by_index[&index];
                let command = &batch[index];
                let kind = transaction_kind(command.movement);
                let transaction = Transaction {
                    id: entry.id,
                    reference: entry.reference.clone(),
                    kind,
                    direction: Transaction::direction_of(kind),
                    amount: command.amount.minor_units(),
                    currency: command.currency,
                    balance_after: entry.balance_after,
                    counterparty_number: command.counter_number.clone(),
                    description: command.description.clone(),
                    created_at: at,
                };
                Outcome { status: 201, body: serde_json::to_string(&transaction).unwrap_or_default(), replayed: false }
            }
            Step::Refuse { problem, .. } => Outcome {
                status: problem.status,
                body: serde_json::to_string(problem).unwrap_or_default(),
                replayed: false,
            },
            Step::Replay { status, body } => Outcome { status: *status, body: body.clone(), replayed: true },
            Step::SameAs(first) => Outcome { replayed: true, ..out[*first].clone() },
        };
        out.push(outcome);
    }
    out
}

async fn insert_idempotency(
    conn: &mut AnyConnection,
    batch: &[Command],
    steps: &[Step],
    responses: &[Outcome],
    at: &str,
) -> Result<(), sqlx::Error> {
    let kept: Vec<(&Idempotency, &Outcome)> = steps
        .iter()
        .enumerate()
        .filter(|(_, step)| matches!(step, Step::Apply | Step::Refuse { save: true, .. }))
        .filter_map(|(i, _)| batch[i].idempotency.as_ref().map(|key| (key, &responses[i])))
        .collect();
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

fn audit_event(account: Uuid, entry: &Entry<'_>) -> Event {
    let command = entry.command;
    Event {
        action: match command.movement {
            Movement::Deposit => "ledger.deposit",
            Movement::Withdrawal => "ledger.withdrawal",
            Movement::Transfer => "ledger.transfer",
        },
        target_type: "account",
        target_id: Some(account.to_string()),
        old: None,
        new: Some(serde_json::json!({
            "entry_id": entry.id,
            "reference": entry.reference,
            "amount": command.amount.minor_units(),
            "currency": command.currency.code(),
            "counter_account": command.counter_account,
            "balance_after": entry.balance_after,
        })),
    }
}
