//! A batch's journal entries and their postings: one multi-row insert per table, for the
//! committing transaction to send with the batch's other rows.

use uuid::Uuid;

use crate::db::insert::Insert;
use crate::ledger::command::{Command, Movement};
use crate::ledger::entry::Entry;

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
