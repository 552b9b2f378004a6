//! Writing decided batches — of one account or of several in one transaction: balances (see
//! `balances`), then journal entries, postings, idempotency records, mail and audit entries, a
//! multi-row insert per table over every batch, all sent as one statement.

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;
use uuid::Uuid;

use super::command::{Command, Movement, Outcome};
use super::entry::Entry;
use super::flags::Flag;
use super::notify;
use super::plan::{Snapshot, Step};
use super::reference::new_reference;
use super::retry::Retry;
use super::store::balances::{self, After, Change};
use super::store::cases::{self, NewCase};
use super::store::{idempotency, journal, reversals};
use super::transaction::{Transaction, TransactionKind};
use crate::audit::{self, Event};
use crate::crypto::KeyRing;
use crate::db::{insert, time};

/// One account's batch, decided.
pub struct Decided<'a> {
    pub account: Uuid,
    pub snapshot: &'a Snapshot,
    pub batch: &'a [Command],
    pub steps: &'a [Step],
    pub flags: &'a [(usize, Flag)],
}

impl Decided<'_> {
    fn applied(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.steps.len()).filter(|i| matches!(self.steps[*i], Step::Apply))
    }
}

/// What a batch's account became, and one response per command, in order.
pub struct Written {
    /// The account's balance and version after the batch, when it changed.
    pub balance: Option<i64>,
    pub version: Option<i64>,
    pub responses: Vec<Outcome>,
}

/// Writes every decided batch in the caller's transaction. Answers one result per batch: `None`
/// when its account did not pass its fence (stale: nothing of it was written; decide it again).
pub async fn apply(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    recipients: &notify::Recipients,
    decided: &[Decided<'_>],
) -> Result<Vec<Option<Written>>, Retry> {
    let changes: Vec<Change> = decided
        .iter()
        .filter(|d| d.applied().next().is_some())
        .map(|d| Change {
            account: d.account,
            delta: d.applied().map(|i| d.batch[i].delta()).sum(),
            postings: d.applied().count() as i64,
            // Reversals are fenced even when they credit: two processes reversing one original
            // meet at the version, and the loser is decided again on fresh data.
            fence: d
                .applied()
                .any(|i| d.batch[i].is_debit() || d.batch[i].reverses.is_some())
                .then_some(d.snapshot.version),
        })
        .collect();
    let sources = balances::change_sources(conn, &changes).await?;
    let stale = |d: &Decided<'_>| d.applied().next().is_some() && !sources.contains_key(&d.account);
    let mut credits: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for d in decided.iter().filter(|d| !stale(d)) {
        for i in d.applied().filter(|i| d.batch[*i].movement == Movement::Transfer) {
            let credit = credits.entry(d.batch[i].counter_account).or_default();
            credit.0 += d.batch[i].amount.minor_units();
            credit.1 += 1;
        }
    }
    let counters = balances::credit(conn, &credits).await?;

    // Walk each credited account forward from its state before the credits, batch by batch.
    let mut counter_running: HashMap<Uuid, (i64, i64)> =
        counters.iter().map(|(id, after)| (*id, (after.balance - after.added, after.seq - after.postings))).collect();
    let mut entries = Vec::new();
    for d in decided.iter().filter(|d| !stale(d)) {
        let Some(source) = sources.get(&d.account) else { continue };
        entries.extend(entries_of(d, source, &mut counter_running));
    }
    let at = time::now();
    let at_text = time::to_db(at);
    // An account is in one batch of a transaction, so its entries are that batch's.
    let mut by_account: HashMap<Uuid, HashMap<usize, &Entry<'_>>> = HashMap::new();
    for entry in &entries {
        by_account.entry(entry.account).or_default().insert(entry.index, entry);
    }
    let mut written = Vec::with_capacity(decided.len());
    let mut kept = Vec::new();
    for d in decided {
        if stale(d) {
            written.push(None);
            continue;
        }
        let mine = by_account.remove(&d.account).unwrap_or_default();
        let responses = responses(d, &mine, at);
        for (index, step) in d.steps.iter().enumerate() {
            if let (Step::Apply | Step::Refuse { save: true, .. }, Some(key)) = (step, &d.batch[index].idempotency) {
                kept.push((key, responses[index].clone()));
            }
        }
        let source = sources.get(&d.account);
        written.push(Some(Written {
            balance: source.map(|s| s.balance),
            version: source.map(|s| s.version),
            responses,
        }));
    }
    let [journal_rows, postings] = journal::entries(&entries, &at_text);
    let mut events: Vec<_> = entries.iter().map(|entry| (&entry.command.actor, audit_event(entry))).collect();
    events.extend(entries.iter().filter_map(|entry| Some((&entry.command.actor, approval_event(entry)?))));
    let rows = [
        journal_rows,
        postings,
        reversals::rows(&entries, &at_text),
        idempotency::rows(&kept, &at_text),
        notify::emails(ring, recipients, &entries)?,
        audit::staged_rows(events),
    ];
    insert::execute_all(conn, rows).await?;
    reversals::approve(conn, &entries, &at_text).await?;
    notify::flagged(conn, &entries).await?;
    open_cases(conn, &entries).await?;
    Ok(written)
}

/// Every flagged transfer opens a case for staff (`crate::cases`).
async fn open_cases(conn: &mut AnyConnection, entries: &[Entry<'_>]) -> Result<(), sqlx::Error> {
    for entry in entries {
        let Some(flag) = entry.flag else { continue };
        let amount = entry.command.currency.display(entry.command.amount.minor_units());
        let summary = format!("transfer {} of {amount} flagged: {}", entry.reference, flag.reason());
        let case = NewCase {
            kind: flag.case_kind(),
            summary: &summary,
            entry: entry.id,
            account: entry.account,
            user: entry.command.initiated_by,
        };
        cases::open(conn, &case).await?;
    }
    Ok(())
}

/// The entries of one batch: its account walks back from `source` (its state after the batch)
/// to each posting's balance and number; each credited account walks forward in
/// `counter_running`.
fn entries_of<'a>(d: &Decided<'a>, source: &After, counter_running: &mut HashMap<Uuid, (i64, i64)>) -> Vec<Entry<'a>> {
    let applied: Vec<usize> = d.applied().collect();
    let mut running = source.balance - source.added;
    let first_seq = source.seq - applied.len() as i64 + 1;
    let mut entries = Vec::with_capacity(applied.len());
    for (seq, &index) in (first_seq..).zip(&applied) {
        let command = &d.batch[index];
        running += command.delta();
        let counter = (command.movement == Movement::Transfer)
            .then(|| counter_running.get_mut(&command.counter_account))
            .flatten()
            .map(|(balance, seq)| {
                *balance += command.amount.minor_units();
                *seq += 1;
                (*balance, *seq)
            });
        entries.push(Entry {
            account: d.account,
            account_number: &d.snapshot.number,
            index,
            command,
            id: Uuid::now_v7(),
            reference: new_reference(),
            balance_after: running,
            seq,
            counter_balance_after: counter.map(|c| c.0),
            counter_seq: counter.map(|c| c.1),
            flag: d.flags.iter().find(|(i, _)| *i == index).map(|(_, flag)| *flag),
        });
    }
    entries
}

fn transaction_kind(command: &Command) -> TransactionKind {
    if command.reverses.is_some() {
        return TransactionKind::Reversal;
    }
    match command.movement {
        Movement::Deposit => TransactionKind::Deposit,
        Movement::Withdrawal => TransactionKind::Withdrawal,
        Movement::Transfer => TransactionKind::TransferOut,
    }
}

/// One response per command of `d`; `by_index` holds its entries by command index.
fn responses(
    d: &Decided<'_>,
    by_index: &HashMap<usize, &Entry<'_>>,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<Outcome> {
    let mut out: Vec<Outcome> = Vec::with_capacity(d.steps.len());
    for (index, step) in d.steps.iter().enumerate() {
        let outcome = match step {
            Step::Apply => {
                let entry = by_index[&index];
                let command = &d.batch[index];
                let kind = transaction_kind(command);
                let transaction = Transaction {
                    id: entry.id,
                    reference: entry.reference.clone(),
                    kind,
                    direction: Transaction::direction_of_amount(command.delta()),
                    amount: command.amount.minor_units(),
                    currency: command.currency,
                    balance_after: entry.balance_after,
                    counterparty_number: command.counter_number.clone(),
                    description: command.description.clone(),
                    created_at: at,
                    reverses: command.reverses.as_ref().map(|r| r.original),
                    reversed_by: None,
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

fn audit_event(entry: &Entry<'_>) -> Event {
    let command = entry.command;
    Event {
        action: match (command.movement, &command.reverses) {
            (_, Some(_)) => "ledger.reversal",
            (Movement::Deposit, None) => "ledger.deposit",
            (Movement::Withdrawal, None) => "ledger.withdrawal",
            (Movement::Transfer, None) => "ledger.transfer",
        },
        target_type: "account",
        target_id: Some(entry.account.to_string()),
        old: None,
        new: Some(serde_json::json!({
            "entry_id": entry.id,
            "reference": entry.reference,
            "amount": command.amount.minor_units(),
            "currency": command.currency.code(),
            "counter_account": command.counter_account,
            "balance_after": entry.balance_after,
            "reverses": command.reverses.as_ref().map(|r| r.original),
        })),
    }
}

/// The decision of the approval request a reversal carries (old: pending, new: approved).
fn approval_event(entry: &Entry<'_>) -> Option<Event> {
    let reverses = entry.command.reverses.as_ref()?;
    let approval = reverses.approval.as_ref()?;
    Some(Event {
        action: "approval.approved",
        target_type: "approval_request",
        target_id: Some(approval.id.to_string()),
        old: Some(serde_json::json!({"status": "pending"})),
        new: Some(serde_json::json!({
            "status": "approved",
            "decided_by": approval.decided_by,
            "note": approval.note,
            "reversal_entry_id": entry.id,
            "reverses": reverses.original,
        })),
    })
}
