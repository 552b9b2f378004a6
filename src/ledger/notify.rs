//! What a committed batch tells people, in the same transaction: the recipient of each transfer
//! is emailed; flagged transfers become a security event and a staff notification.

use std::collections::HashMap;

use serde_json::json;
use sqlx::{AnyConnection, Row};
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::command::Movement;
use super::flags::Flag;
use super::write::Entry;
use crate::crypto::KeyRing;
use crate::db::batch;
use crate::security_events::{self, SecurityEvent};
use crate::{mail, notifications};

pub const SUSPICIOUS_TRANSFER: &str = "suspicious_transfer";

/// The last four digits, enough for a recipient to recognise the sender's account.
fn masked(number: &str) -> String {
    format!("•••• {}", &number[number.len().saturating_sub(4)..])
}

pub async fn record(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    source_number: &str,
    entries: &[Entry<'_>],
    flags: &[(usize, Flag)],
) -> Result<(), sqlx::Error> {
    let transfers: Vec<&Entry<'_>> = entries.iter().filter(|e| e.command.movement == Movement::Transfer).collect();
    if !transfers.is_empty() {
        let recipients = recipients(conn, &transfers).await?;
        let mails: Vec<Email> = transfers
            .iter()
            .filter_map(|entry| {
                let (to, name) = recipients.get(&entry.command.counter_account)?;
                let command = entry.command;
                Some(Email {
                    to: to.clone(),
                    template: Template::TransferReceived,
                    data: json!({
                        "amount": command.currency.display(command.amount.minor_units()),
                        "from": masked(source_number),
                        "reference": entry.reference,
                        "full_name": name,
                    }),
                })
            })
            .collect();
        mail::queue_many(conn, ring, mails).await?;
    }
    for (index, flag) in flags {
        let Some(entry) = entries.iter().find(|e| e.index == *index) else { continue };
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

/// The email and name of each credited account's owner (active users only).
async fn recipients(
    conn: &mut AnyConnection,
    transfers: &[&Entry<'_>],
) -> Result<HashMap<Uuid, (String, String)>, sqlx::Error> {
    let mut ids: Vec<String> = transfers.iter().map(|e| e.command.counter_account.to_string()).collect();
    ids.sort();
    ids.dedup();
    let sql = format!(
        "SELECT a.id, u.email, u.full_name FROM accounts a JOIN users u ON u.id = a.user_id \
         WHERE u.status = 'active' AND u.email IS NOT NULL AND a.id IN ({})",
        batch::list(1, ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let id = super::account::parse_uuid(&row.try_get::<String, _>("id")?)?;
            Ok((id, (row.try_get("email")?, row.try_get("full_name")?)))
        })
        .collect()
}
