//! `send_email`: deliver the outbox messages of one job.
//!
//! Order matters for each message: skip it if already recorded as sent; render; send (returns
//! once the server has accepted it); record as sent. A crash between acceptance and the record
//! resends the same message with the same `Message-ID`, which receiving servers discard as a
//! duplicate; a recipient never gets two different messages for one event.
//!
//! A job of several messages records the sent ones in one write when it ends, whether it ends
//! well or not. A passing failure (the mail server away) stops the job there and it is tried
//! again later, the messages already sent skipped; a permanent one (a message that does not
//! render or that the server refuses for good) skips that message only, and the job ends dead
//! once every other message is sent.

use uuid::Uuid;

use crate::email::{Outgoing, render};
use crate::error::JobError;
use crate::handlers::Services;
use crate::job::SendEmail;

#[tracing::instrument(skip_all, fields(outbox_id = %job.outbox_id, messages = job.more.len() + 1))]
pub async fn send_email(services: &Services, job: SendEmail) -> Result<(), JobError> {
    let mut sent = Vec::new();
    let mut refused = None;
    let mut passing = None;
    for id in job.messages() {
        match deliver(services, id).await {
            Ok(true) => sent.push(id),
            Ok(false) => {}
            Err(error) if error.is_permanent() => {
                tracing::warn!(outbox_id = %id, error = %error, "message not deliverable");
                refused.get_or_insert(error);
            }
            Err(error) => {
                passing = Some(error);
                break;
            }
        }
    }
    services.mailbox.mark_sent(&sent).await?;
    match passing.or(refused) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Sends message `id` unless it was sent already; `Ok(true)` when this call sent it. Each
/// message is read just before its own send, not all at the job's start: a message another job
/// sent meanwhile (the sweeper's, for one left behind) is then skipped rather than sent twice.
async fn deliver(services: &Services, id: Uuid) -> Result<bool, JobError> {
    let Some(email) = services.mailbox.pending(id).await? else {
        tracing::info!(outbox_id = %id, "already sent; nothing to do");
        return Ok(false);
    };
    let rendered = render(email.template, &email.data, &services.app_name).map_err(JobError::permanent)?;
    let outgoing = Outgoing { id, to: email.to, rendered };
    services.mailer.send(&outgoing).await?;
    tracing::info!(outbox_id = %id, template = email.template.name(), "mail sent");
    Ok(true)
}
