//! Writing decided batches — of one account or of several in one transaction: balances (see
//! `balances`), then journal entries, postings, idempotency records, mail and audit entries, a
//! multi-row insert per table over every batch, all sent as one statement — and the
//! `transaction.posted` events of the outbox among them.

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;
use uuid::Uuid;

use super::command::{Command, HoldOp, Movement, Outcome};
use super::entry::Entry;
use super::flags::Flag;
use super::hold::HoldStatus;
use super::notify;
use super::plan::{Snapshot, Step};
use super::reference::new_reference;
use super::retry::Retry;
use super::store::balances::{self, After, Change};
use super::store::cases::{self, NewCase};
use super::store::counterparties::Counterparties;
use super::store::holds::{self, Ended, Placed};
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

    /// The applied commands that post a journal entry.
    fn posting(&self) -> impl Iterator<Item = usize> + '_ {
        self.applied().filter(|i| self.batch[*i].posts())
    }
}

/// What a batch's account became, and one response per command, in order.
pub struct Written {
    /// The account's balance, held total and version after the batch, when it changed.
    pub balance: Option<i64>,
    pub held: Option<i64>,
    pub version: Option<i64>,
    pub responses: Vec<Outcome>,
}

/// Writes every decided batch in the caller's transaction. Answers one result per batch: `None`
/// when its account did not pass its fence (stale: nothing of it was written; decide it again);
/// and the ids of the mails queued (to enqueue their delivery after the commit).
pub async fn apply(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    counterparties: &Counterparties,
    outbox: bool,
    decided: &[Decided<'_>],
) -> Result<(Vec<Option<Written>>, Vec<Uuid>), Retry> {
    let changes: Vec<Change> = decided
        .iter()
        .filter(|d| d.applied().next().is_some())
        .map(|d| Change {
            account: d.account,
            delta: d.applied().map(|i| d.batch[i].delta()).sum(),
            held: d.applied().map(|i| d.batch[i].held_delta()).sum(),
            postings: d.posting().count() as i64,
            // Reversals and hold changes are fenced even when they credit: two processes
            // reversing one original (or ending one hold) meet at the version, and the loser is
            // decided again on fresh data.
            fence: d
                .applied()
                .any(|i| {
                    let command = &d.batch[i];
                    command.is_debit() || command.reverses.is_some() || command.touches_hold()
                })
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
            held: source.map(|s| s.held),
            version: source.map(|s| s.version),
            responses,
        }));
    }
    let [journal_rows, postings] = journal::entries(&entries, &at_text);
    let mut events: Vec<_> = entries.iter().map(|entry| (&entry.command.actor, audit_event(entry))).collect();
    events.extend(entries.iter().filter_map(|entry| Some((&entry.command.actor, approval_event(entry)?))));
    let (mails, mail_ids) = notify::emails(ring, &counterparties.recipients, &entries)?;
    let (placed, ended) = hold_changes(decided.iter().filter(|d| !stale(d)), &entries);
    events.extend(hold_events(decided.iter().filter(|d| !stale(d))));
    let holds_published =
        if outbox { published_holds(decided.iter().filter(|d| !stale(d)), &entries) } else { Vec::new() };
    let rows = [
        journal_rows,
        postings,
        holds::rows(&placed, &at_text),
        holds::refund_rows(&entries, &at_text),
        reversals::rows(&entries, &at_text),
        idempotency::rows(&kept, &at_text),
        mails,
        audit::staged_rows(events),
        if outbox {
            super::events::rows(&entries, &holds_published, &counterparties.owners)
        } else {
            crate::events::rows(Vec::new())
        },
    ];
    insert::execute_all(conn, rows).await?;
    holds::end(conn, &ended, &at_text).await?;
    reversals::approve(conn, &entries, &at_text).await?;
    notify::flagged(conn, &entries).await?;
    open_cases(conn, &entries).await?;
    Ok((written, mail_ids))
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
    let applied: Vec<usize> = d.posting().collect();
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

/// The holds the batches place, and how the ones they end end (a capture with its entry).
fn hold_changes<'a, 'b>(
    decided: impl Iterator<Item = &'b Decided<'a>>,
    entries: &[Entry<'_>],
) -> (Vec<Placed<'a>>, Vec<Ended>)
where
    'a: 'b,
{
    let (mut placed, mut ended) = (Vec::new(), Vec::new());
    for d in decided {
        for index in d.applied() {
            let command = &d.batch[index];
            match &command.hold {
                None | Some(HoldOp::Refund { .. }) => {}
                Some(HoldOp::Place { .. }) => placed.push(Placed { account: d.account, command }),
                Some(HoldOp::Capture { id, .. }) => ended.push(Ended {
                    id: *id,
                    status: HoldStatus::Captured,
                    captured: command.amount.minor_units(),
                    entry: entries.iter().find(|e| e.account == d.account && e.index == index).map(|e| e.id),
                }),
                Some(HoldOp::Release { id, expired, .. }) => ended.push(Ended {
                    id: *id,
                    status: if *expired { HoldStatus::Expired } else { HoldStatus::Released },
                    captured: 0,
                    entry: None,
                }),
            }
        }
    }
    (placed, ended)
}

/// The holds the batches place and end, for their `hold.*` events (a refund is not one).
fn published_holds<'a, 'b>(
    decided: impl Iterator<Item = &'b Decided<'a>>,
    entries: &[Entry<'_>],
) -> Vec<super::events::HoldChange<'a>>
where
    'a: 'b,
{
    let mut out = Vec::new();
    for d in decided {
        for index in d.applied() {
            let command: &'a Command = &d.batch[index];
            if matches!(command.hold, None | Some(HoldOp::Refund { .. })) {
                continue;
            }
            let entry = entries.iter().find(|e| e.account == d.account && e.index == index).map(|e| e.id);
            out.push(super::events::HoldChange { account: d.account, command, entry });
        }
    }
    out
}

/// The audit entries of the holds the batches place and end.
fn hold_events<'a, 'b>(decided: impl Iterator<Item = &'b Decided<'a>>) -> Vec<(&'a crate::audit::Actor, Event)>
where
    'a: 'b,
{
    let mut events = Vec::new();
    for d in decided {
        for index in d.applied() {
            let command: &'a Command = &d.batch[index];
            let Some(hold) = &command.hold else { continue };
            let action = match hold {
                HoldOp::Place { .. } => "hold.placed",
                HoldOp::Capture { .. } => "hold.captured",
                HoldOp::Release { expired: true, .. } => "hold.expired",
                HoldOp::Release { .. } => "hold.released",
                HoldOp::Refund { .. } => "hold.refunded",
            };
            events.push((
                &command.actor,
                Event {
                    action,
                    target_type: "hold",
                    target_id: Some(hold.id().to_string()),
                    old: None,
                    new: Some(serde_json::json!({
                        "account_id": d.account,
                        "amount": command.amount.minor_units(),
                        "currency": command.currency.code(),
                    })),
                },
            ));
        }
    }
    events
}

fn transaction_kind(command: &Command) -> TransactionKind {
    if command.reverses.is_some() {
        return TransactionKind::Reversal;
    }
    if command.hold.is_some() {
        return TransactionKind::Card;
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
        let command = &d.batch[index];
        let outcome = match (step, &command.hold) {
            (Step::Apply, Some(HoldOp::Place { id, .. })) => authorization(*id, None),
            (Step::Refuse { problem, save: true }, Some(HoldOp::Place { id, .. })) => authorization(*id, Some(problem)),
            (Step::Apply, Some(HoldOp::Release { id, expired, .. })) => Outcome {
                status: 200,
                body: serde_json::json!({"id": id, "status": if *expired { "expired" } else { "released" }})
                    .to_string(),
                replayed: false,
            },
            (Step::Apply, _) => {
                let entry = by_index[&index];
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
            (Step::Refuse { problem, .. }, _) => Outcome {
                status: problem.status,
                body: serde_json::to_string(problem).unwrap_or_default(),
                replayed: false,
            },
            (Step::Replay { status, body }, _) => Outcome { status: *status, body: body.clone(), replayed: true },
            (Step::SameAs(first), _) => Outcome { replayed: true, ..out[*first].clone() },
        };
        out.push(outcome);
    }
    out
}

/// A card authorization's answer: 201 either way, as card networks expect; a refusal is a
/// decline naming its reason.
fn authorization(id: uuid::Uuid, declined: Option<&crate::error::Problem>) -> Outcome {
    let body = match declined {
        None => serde_json::json!({"id": id, "status": "approved"}),
        Some(problem) => {
            let reason = match problem.slug() {
                // A card on a closed account can never be used again.
                "account-closed" => "card-closed",
                reason => reason,
            };
            serde_json::json!({"id": id, "status": "declined", "decline_reason": reason})
        }
    };
    Outcome { status: 201, body: body.to_string(), replayed: false }
}

fn audit_event(entry: &Entry<'_>) -> Event {
    let command = entry.command;
    Event {
        action: match (command.movement, &command.reverses) {
            (_, Some(_)) => "ledger.reversal",
            _ if command.hold.is_some() => "ledger.card",
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
