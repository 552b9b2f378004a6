//! What a committed batch tells people, in the same transaction: the recipient of each transfer
//! is emailed (`emails`, rows the batch inserts with its others); flagged transfers become a
//! security event and a staff notification (`flagged`).

use std::collections::HashMap;

use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::command::Movement;
use super::entry::Entry;
use crate::crypto::KeyRing;
use crate::db::insert::Insert;
use crate::security_events::{self, SecurityEvent};
use crate::{mail, notifications};

pub const SUSPICIOUS_TRANSFER: &str = "suspicious_transfer";

/// The last four digits, enough for a recipient to recognise the sender's account.
fn masked(number: &str) -> String {
    format!("•••• {}", &number[number.len().saturating_sub(4)..])
}

/// The email and name of each credited account's owner (active users only), by account.
pub type Recipients = HashMap<Uuid, (String, String)>;

/// The outbox rows emailing each transfer's recipient (active, not erased owners only), and
/// their ids (to enqueue their delivery once the batch has committed).
pub fn emails(
    ring: &KeyRing,
    recipients: &Recipients,
    entries: &[Entry<'_>],
) -> Result<(Insert, Vec<Uuid>), sqlx::Error> {
    let mails: Vec<Email> = entries
        .iter()
        .filter(|e| e.command.movement == Movement::Transfer)
        .filter_map(|entry| {
            let (to, name) = recipients.get(&entry.command.counter_account)?;
            let command = entry.command;
            Some(Email {
                to: to.clone(),
                template: Template::TransferReceived,
                data: json!({
                    "amount": command.currency.display(command.amount.minor_units()),
                    "from": masked(entry.account_number),
                    "reference": entry.reference,
                    "full_name": name,
                }),
            })
        })
        .collect();
    mail::outbox_rows(ring, mails)
}

/// Records a security event and a staff notification for each flagged entry.
pub async fn flagged(conn: &mut AnyConnection, entries: &[Entry<'_>]) -> Result<(), sqlx::Error> {
    for entry in entries {
        let Some(flag) = entry.flag else { continue };
        let command = entry.command;
        let amount = command.currency.display(command.amount.minor_units());
        let event = SecurityEvent {
            kind: SUSPICIOUS_TRANSFER,
            user_id: Some(command.initiated_by),
            ip: command.actor.ip.clone(),
            subject: None,
            detail: json!({"reference": entry.reference, "amount": amount, "reason": flag.reason()}),
        };
        security_events::record(conn, event).await?;
        let message = format!("transfer {} of {amount} flagged: {}", entry.reference, flag.reason());
        notifications::notify(conn, notifications::TRANSFER_FLAGGED, "journal_entry", &entry.id.to_string(), &message)
            .await?;
    }
    Ok(())
}
