//! A batch's rows: journal entries and their postings, and idempotency records — one
//! multi-row insert per table, for the caller to write with the batch's other rows.

use uuid::Uuid;

use super::command::{Command, Idempotency, Movement, Outcome};
use super::write::Entry;
use crate::db::insert::Insert;

fn kind_of(command: &Command) -> &'static str {
    match command.movement {
        Movement::Deposit => "deposit",
        Movement::Withdrawal => "withdrawal",
        Movement::Transfer => "transfer",
    }
}

/// The journal entries and their postings (in that order: postings name their entry).
pub fn entries(entries: &[Entry<'_>], at: &str) -> [Insert; 2] {
    let mut journal = Insert::new(
        "journal_entries",
        &["id", "reference", "kind", "currency", "amount", "description", "initiated_by", "created_at"],
    );
    let mut postings = Insert::new(
        "postings",
        &["id", "entry_id", "account_id", "seq", "amount", "balance_after", "counterparty_account_id", "created_at"],
    );
    for entry in entries {
        let command = entry.command;
        let id = entry.id.to_string();
        journal.row([
            id.clone().into(),
            entry.reference.clone().into(),
            kind_of(command).into(),
            command.currency.code().into(),
            command.amount.minor_units().into(),
            command.description.clone().into(),
            command.initiated_by.to_string().into(),
            at.into(),
        ]);
        let transfer = command.movement == Movement::Transfer;
        let (this, other) = (entry.account.to_string(), command.counter_account.to_string());
        postings.row([
            Uuid::now_v7().to_string().into(),
            id.clone().into(),
            this.clone().into(),
            Some(entry.seq).into(),
            command.delta().into(),
            Some(entry.balance_after).into(),
            transfer.then(|| other.clone()).into(),
            at.into(),
        ]);
        postings.row([
            Uuid::now_v7().to_string().into(),
            id.into(),
            other.into(),
            entry.counter_seq.into(),
            (-command.delta()).into(),
            entry.counter_balance_after.into(),
            transfer.then_some(this).into(),
            at.into(),
        ]);
    }
    [journal, postings]
}

/// Keeps each response under its idempotency key.
pub fn idempotency(kept: &[(&Idempotency, Outcome)], at: &str) -> Insert {
    let mut rows = Insert::new("idempotency_keys", &["scope", "fingerprint", "status", "body", "created_at"]);
    for (key, response) in kept {
        rows.row([
            key.scope.clone().into(),
            key.fingerprint.clone().into(),
            i64::from(response.status).into(),
            response.body.clone().into(),
            at.into(),
        ]);
    }
    rows
}
