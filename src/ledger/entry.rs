//! One applied command as the batch writes it: the journal entry's id and reference, and where
//! it leaves each account. Built by `write`, read by the rows, mails and flags it produces.

use uuid::Uuid;

use super::command::Command;
use super::flags::Flag;

/// An applied command of one account's batch.
pub struct Entry<'a> {
    pub account: Uuid,
    /// The source account's number (for the recipient's email).
    pub account_number: &'a str,
    pub index: usize,
    pub command: &'a Command,
    pub id: Uuid,
    pub reference: String,
    pub balance_after: i64,
    pub seq: i64,
    pub counter_balance_after: Option<i64>,
    pub counter_seq: Option<i64>,
    pub flag: Option<Flag>,
}
