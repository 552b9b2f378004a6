//! What a committed batch tells people, in the same transaction: the recipient of each transfer
//! is emailed; flagged transfers become a security event and a staff notification.

use std::collections::HashMap;

use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::command::Movement;
use super::write::Entry;
use crate::crypto::KeyRing;
use crate::security_events::{self, SecurityEvent};
use crate::{mail, notifications};

pub const SUSPICIOUS_TRANSFER: &str = "suspicious_transfer";

/// The last four digits, enough for a recipient to recognise the sender's account.
fn masked(number: &str) -> String {
    format!("•••• {}", &number[number.len().saturating_sub(4)..])
}

/// The email and name of each credited account's owner (active users only), by account.
pub type Recipients = HashMap<Uuid, (String, String)>;

pub async fn record(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    recipients: &Recipients,
    entries: &[Entry<'_>],
) -> Result<(), sqlx::Error> {
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
    mail::queue_many(conn, ring, mails).await?;
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
