//! Writing a decided batch: balances (ascending id order), journal entries, postings,
//! idempotency records and audit entries — multi-row statements, one transaction.

use std::collections::HashMap;

use sqlx::AnyConnection;
use uuid::Uuid;

use super::command::{Command, Movement, Outcome};
use super::commit::Retry;
use super::flags::Flag;
use super::plan::{Snapshot, Step};
use super::reference::new_reference;
use super::transaction::{Transaction, TransactionKind};
use super::{balances, notify, rows};
use crate::audit::{self, Event};
use crate::crypto::KeyRing;
use crate::db::{Dialect, time};

pub struct Written {
    /// The account's balance and version after the batch, when it changed.
    pub balance: Option<i64>,
    pub version: Option<i64>,
    /// One response per command, in order.
    pub responses: Vec<Outcome>,
}

pub struct Entry<'a> {
    pub index: usize,
    pub command: &'a Command,
    pub id: Uuid,
    pub reference: String,
    pub balance_after: i64,
    pub seq: i64,
    pub counter_balance_after: Option<i64>,
    pub counter_seq: Option<i64>,
}

/// Where a batch is written and what else it must record.
pub struct Context<'a> {
    pub dialect: Dialect,
    pub ring: &'a KeyRing,
    pub account: Uuid,
    pub flags: &'a [(usize, Flag)],
    /// Whom to email about each credited account.
    pub recipients: &'a notify::Recipients,
}

pub async fn apply(
    conn: &mut AnyConnection,
    context: &Context<'_>,
    snapshot: &Snapshot,
    batch: &[Command],
    steps: &[Step],
) -> Result<Written, Retry> {
    let account = context.account;
    let applied: Vec<usize> = (0..steps.len()).filter(|i| matches!(steps[*i], Step::Apply)).collect();
    let (mut balance, mut version) = (None, None);
    let mut entries = Vec::with_capacity(applied.len());
    if !applied.is_empty() {
        let balances = balances::update(conn, context.dialect, account, snapshot.version, batch, &applied).await?;
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
    rows::insert_entries(conn, account, &entries, &time::to_db(at)).await?;
    let responses = responses(batch, steps, &entries, at);
    rows::insert_idempotency(conn, batch, steps, &responses, &time::to_db(at)).await?;
    if !entries.is_empty() {
        notify::record(conn, context.ring, context.recipients, &snapshot.number, &entries, context.flags).await?;
    }
    let events = entries.iter().map(|entry| (&entry.command.actor, audit_event(account, entry))).collect();
    audit::stage_many(conn, events).await?;
    Ok(Written { balance, version, responses })
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
