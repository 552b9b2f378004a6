//! The `transaction.posted` events of a committed batch: one per account an entry posts to (a
//! transfer tells its sender's account and its recipient's), each owned by that account's
//! owner, numbered by the account's posting number — and the `hold.*` events of the holds it
//! places and ends. Rows for the batch's multi-row insert.

use std::collections::HashMap;

use serde_json::json;
use uuid::Uuid;

use super::command::{Command, HoldOp, Movement};
use super::entry::Entry;
use crate::db::insert::Insert;
use crate::events::{self, EventType, NewEvent};

/// The owner of each customer account a batch touches.
pub type Owners = HashMap<Uuid, Uuid>;

/// A hold a batch placed or ended: its account, the command, and a capture's journal entry.
pub struct HoldChange<'a> {
    pub account: Uuid,
    pub command: &'a Command,
    pub entry: Option<Uuid>,
}

pub fn rows(entries: &[Entry<'_>], holds: &[HoldChange<'_>], owners: &Owners) -> Insert {
    let mut out = Vec::with_capacity(entries.len() * 2 + holds.len());
    out.extend(holds.iter().filter_map(|change| hold_event(change, owners)));
    for entry in entries {
        let command = entry.command;
        let reverses = command.reverses.as_ref().map(|r| r.original);
        let (own_kind, other_kind) = match (command.movement, reverses) {
            (_, Some(_)) => ("reversal", "reversal"),
            (Movement::Deposit, None) => ("deposit", ""),
            (Movement::Withdrawal, None) => ("withdrawal", ""),
            (Movement::Transfer, None) => ("transfer_out", "transfer_in"),
        };
        let transfer = command.movement == Movement::Transfer;
        let posted = |account: Uuid, kind: &str, amount: i64, balance: Option<i64>, counterparty: Option<Uuid>| {
            json!({
                "transaction_id": entry.id,
                "account_id": account,
                "reference": entry.reference,
                "kind": kind,
                "amount": amount,
                "currency": command.currency.code(),
                "balance_after": balance,
                "counterparty_account_id": counterparty,
                "reverses": reverses,
            })
        };
        let data = posted(
            entry.account,
            own_kind,
            command.delta(),
            Some(entry.balance_after),
            transfer.then_some(command.counter_account),
        );
        let mut own = NewEvent::new(
            EventType::TransactionPosted,
            ("account", entry.account),
            owners.get(&entry.account).copied(),
            data,
        );
        own.aggregate_seq = Some(entry.seq);
        out.push(own);
        // The other side of a transfer (a customer account; the cash account has no events).
        if let (true, Some(owner)) = (transfer, owners.get(&command.counter_account)) {
            let counter = command.counter_account;
            let data = posted(counter, other_kind, -command.delta(), entry.counter_balance_after, Some(entry.account));
            let mut other = NewEvent::new(EventType::TransactionPosted, ("account", counter), Some(*owner), data);
            other.aggregate_seq = entry.counter_seq;
            out.push(other);
        }
    }
    events::rows(out)
}

/// `hold.created`, `hold.captured` or `hold.released` (an expiry is a release with status
/// `expired`); a refund is a credit, told by its `transaction.posted`.
fn hold_event(change: &HoldChange<'_>, owners: &Owners) -> Option<NewEvent> {
    let command = change.command;
    let hold = command.hold.as_ref()?;
    let (kind, status, held, captured, card) = match hold {
        HoldOp::Place { card, .. } => (EventType::HoldCreated, "open", command.amount.minor_units(), 0, *card),
        HoldOp::Capture { held, .. } => {
            (EventType::HoldCaptured, "captured", *held, command.amount.minor_units(), None)
        }
        HoldOp::Release { held, expired, .. } => {
            (EventType::HoldReleased, if *expired { "expired" } else { "released" }, *held, 0, None)
        }
        HoldOp::Refund { .. } => return None,
    };
    let data = json!({
        "hold_id": hold.id(),
        "account_id": change.account,
        "card_id": card,
        "status": status,
        "amount": held,
        "captured": captured,
        "currency": command.currency.code(),
        "transaction_id": change.entry,
    });
    Some(NewEvent::new(kind, ("hold", hold.id()), owners.get(&change.account).copied(), data))
}
