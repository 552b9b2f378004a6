//! Deciding a batch: each command, in order, against the running balance. Pure — no I/O — so
//! the rules are unit-tested directly; `commit` applies the result.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use super::account::AccountStatus;
use super::command::{Command, HoldOp, Movement};
use super::flags::Velocity;
use super::idempotency::{Saved, key_reused};
use super::problems::{conflict, unprocessable};
use crate::config::LedgerSettings;
use crate::error::Problem;

/// What the actor knows about its account between commits.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub account: Uuid,
    pub balance: i64,
    /// The total of the account's open holds: `balance - held` is what is available.
    pub held: i64,
    pub version: i64,
    pub status: AccountStatus,
    pub day: NaiveDate,
    pub outgoing_today: i64,
    pub velocity: Velocity,
    /// The account's number (for the recipient's email of a transfer).
    pub number: String,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// Takes effect: the account changes by the command's delta.
    Apply,
    /// Answered with a problem and no effect; `save` keeps the answer under the key.
    Refuse { problem: Problem, save: bool },
    /// Answered with an earlier response to the same key and request.
    Replay { status: u16, body: String },
    /// The same key and request earlier in this batch: the same answer.
    SameAs(usize),
}

/// The running balance may be too low because credits from other accounts' actors arrived
/// since it was cached: reload before refusing anything for lack of funds.
#[derive(Debug, PartialEq, Eq)]
pub struct Stale;

/// What the committing transaction read, under its locks, about the reversals and holds of a
/// batch: the originals already reversed, the approval requests still pending, and the holds
/// still open (with their account and amount).
#[derive(Clone, Debug, Default)]
pub struct LockedState {
    pub reversed: HashSet<Uuid>,
    pub pending_approvals: HashSet<Uuid>,
    pub open_holds: HashMap<Uuid, (Uuid, i64)>,
    /// Captured holds: their account and what can still be refunded.
    pub refundable: HashMap<Uuid, (Uuid, i64)>,
    /// What each card with a daily limit named by the batch held and captured today.
    pub card_spent_today: HashMap<Uuid, i64>,
}

pub struct Plan {
    pub steps: Vec<Step>,
    pub outgoing_today: i64,
}

pub fn decide(
    snapshot: &Snapshot,
    commands: &[Command],
    saved: &HashMap<String, Saved>,
    counters: &HashMap<Uuid, AccountStatus>,
    state: &LockedState,
    limits: &LedgerSettings,
    balance_is_cached: bool,
) -> Result<Plan, Stale> {
    let mut running = snapshot.balance;
    let mut held = snapshot.held;
    // Holds ended, and amounts refunded, by earlier commands of this batch.
    let mut ended = HashSet::new();
    let mut refunded: HashMap<Uuid, i64> = HashMap::new();
    let mut outgoing = snapshot.outgoing_today;
    // What cards reserved by earlier commands of this batch.
    let mut card_spent: HashMap<Uuid, i64> = HashMap::new();
    let mut seen: HashMap<&str, (usize, &str)> = HashMap::new();
    // Originals reversed and approvals decided by earlier commands of this batch.
    let (mut reversed, mut decided) = (HashSet::new(), HashSet::new());
    let mut steps = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        if let Some(key) = &command.idempotency {
            if let Some(earlier) = saved.get(&key.scope) {
                steps.push(match earlier.answer(key) {
                    Ok(kept) => Step::Replay { status: kept.status, body: kept.body },
                    Err(problem) => Step::Refuse { problem, save: false },
                });
                continue;
            }
            if let Some((first, fingerprint)) = seen.get(key.scope.as_str()) {
                steps.push(if *fingerprint == key.fingerprint {
                    Step::SameAs(*first)
                } else {
                    Step::Refuse { problem: key_reused(), save: false }
                });
                continue;
            }
            seen.insert(&key.scope, (index, &key.fingerprint));
        }
        let amount = command.amount.minor_units();
        let refuse = |problem| Step::Refuse { problem, save: true };
        // A reversal is the bank correcting its books: limits do not apply, and it may take
        // money back out of a frozen account (freezing one is how the money is kept there).
        let reversal = command.reverses.as_ref();
        let ending = matches!(command.hold, Some(HoldOp::Capture { .. } | HoldOp::Release { .. }));
        let step = if snapshot.status == AccountStatus::Closed {
            refuse(unprocessable("account-closed", "this account is closed".into()))
        } else if let Some(problem) = hold_refused(snapshot.account, command, &state.open_holds, &ended) {
            refuse(problem)
        } else if let Some(HoldOp::Refund { id }) = &command.hold {
            let (on, left) = state.refundable.get(id).copied().unwrap_or((Uuid::nil(), 0));
            let left = left - refunded.get(id).copied().unwrap_or(0);
            if on != snapshot.account || amount > left {
                refuse(unprocessable(
                    "refund-exceeds-capture",
                    format!(
                        "{amount} is more than the {} of authorization {id} that can still be refunded",
                        left.max(0)
                    ),
                ))
            } else {
                running += command.delta();
                *refunded.entry(*id).or_default() += amount;
                Step::Apply
            }
        } else if ending {
            // The money was reserved when the hold was placed: ending it (capturing up to the
            // held amount, or releasing it) only makes money available, frozen account or not.
            running += command.delta();
            held += command.held_delta();
            ended.extend(command.hold.as_ref().map(HoldOp::id));
            Step::Apply
        } else if let Some(problem) = reversal
            .and_then(|r| reversal_refused(r.original, r.approval.as_ref().map(|a| a.id), state, &reversed, &decided))
        {
            refuse(problem)
        } else if command.is_debit() && snapshot.status == AccountStatus::Frozen && reversal.is_none() {
            // Cached: an unfreeze since (a version bump) is only seen on a fresh read.
            if balance_is_cached {
                return Err(Stale);
            }
            refuse(unprocessable("account-frozen", "this account is frozen: money cannot leave it".into()))
        } else if amount > limits.max_transaction && reversal.is_none() {
            refuse(unprocessable(
                "limit-exceeded",
                format!("{amount} is above the per-transaction maximum of {}", limits.max_transaction),
            ))
        } else if command.movement == Movement::Transfer
            && counters.get(&command.counter_account).is_none_or(|s| *s == AccountStatus::Closed)
        {
            refuse(unprocessable("account-closed", "the destination account is closed".into()))
        } else if let Some((card, daily, spent)) = card_limit(command, state, &card_spent)
            && spent + amount > daily
        {
            refuse(unprocessable(
                "limit-exceeded",
                format!(
                    "this would take card {card}'s spending today to {}, above its daily limit of {daily}",
                    spent + amount
                ),
            ))
        } else if command.is_debit() && outgoing + amount > limits.daily_outgoing && reversal.is_none() {
            refuse(unprocessable(
                "limit-exceeded",
                format!(
                    "this would take today's outgoing total to {}, above the daily maximum of {}",
                    outgoing + amount,
                    limits.daily_outgoing
                ),
            ))
        } else if command.is_debit() && running - held < amount {
            if balance_is_cached {
                return Err(Stale);
            }
            refuse(unprocessable(
                "insufficient-funds",
                format!("the available balance of {} is less than {amount}", running - held),
            ))
        } else {
            running += command.delta();
            held += command.held_delta();
            if let Some(HoldOp::Place { card: Some(card), daily_limit: Some(_), .. }) = &command.hold {
                *card_spent.entry(*card).or_default() += amount;
            }
            if let Some(r) = reversal {
                reversed.insert(r.original);
                decided.extend(r.approval.as_ref().map(|a| a.id));
            } else if command.is_debit() {
                outgoing += amount;
            }
            Step::Apply
        };
        steps.push(step);
    }
    Ok(Plan { steps, outgoing_today: outgoing })
}

/// The card a hold is placed for, its daily limit and what it already spent today (read under
/// the lock, plus this batch's earlier holds) — `None` for a hold without a daily limit.
fn card_limit(command: &Command, state: &LockedState, in_batch: &HashMap<Uuid, i64>) -> Option<(Uuid, i64, i64)> {
    let Some(HoldOp::Place { card: Some(card), daily_limit: Some(daily), .. }) = &command.hold else { return None };
    let spent = state.card_spent_today.get(card).copied().unwrap_or(0) + in_batch.get(card).copied().unwrap_or(0);
    Some((*card, *daily, spent))
}

/// Why a capture or release cannot happen: its hold is not open on this account (ended, in the
/// database or earlier in this batch, or never this account's), or a capture asks for more than
/// the hold reserved.
fn hold_refused(
    account: Uuid,
    command: &Command,
    open: &HashMap<Uuid, (Uuid, i64)>,
    ended_in_batch: &HashSet<Uuid>,
) -> Option<Problem> {
    let (id, held) = match command.hold.as_ref()? {
        HoldOp::Place { .. } | HoldOp::Refund { .. } => return None,
        HoldOp::Capture { id, held } | HoldOp::Release { id, held, .. } => (*id, *held),
    };
    let is_open = open.get(&id).is_some_and(|(on, amount)| *on == account && *amount == held);
    if !is_open || ended_in_batch.contains(&id) {
        return Some(conflict(
            "hold-not-open",
            format!("hold {id} is no longer open: it was captured, released or expired"),
        ));
    }
    if command.amount.minor_units() > held {
        return Some(unprocessable(
            "amount-exceeds-hold",
            format!("{} is more than the {held} this authorization holds", command.amount.minor_units()),
        ));
    }
    None
}

/// Why a reversal cannot post now, if it cannot: its original was reversed already (in the
/// database or earlier in this batch), or its approval request was decided meanwhile.
fn reversal_refused(
    original: Uuid,
    approval: Option<Uuid>,
    state: &LockedState,
    reversed_in_batch: &HashSet<Uuid>,
    decided_in_batch: &HashSet<Uuid>,
) -> Option<Problem> {
    if state.reversed.contains(&original) || reversed_in_batch.contains(&original) {
        return Some(conflict("already-reversed", format!("transaction {original} has already been reversed")));
    }
    let approval = approval?;
    if !state.pending_approvals.contains(&approval) || decided_in_batch.contains(&approval) {
        return Some(conflict("approval-decided", format!("approval request {approval} has already been decided")));
    }
    None
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
