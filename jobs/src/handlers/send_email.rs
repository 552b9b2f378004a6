//! `send_email`: deliver one outbox message.
//!
//! Order matters: skip if already recorded as sent; render; send (returns once the server has
//! accepted it); record as sent. A crash between acceptance and the record resends the same
//! message with the same `Message-ID`, which receiving servers discard as a duplicate; a
//! recipient never gets two different messages for one event.

use crate::email::{Outgoing, render};
use crate::error::JobError;
use crate::handlers::Services;
use crate::job::SendEmail;

#[tracing::instrument(skip_all, fields(outbox_id = %job.outbox_id))]
pub async fn send_email(services: &Services, job: SendEmail) -> Result<(), JobError> {
    let Some(email) = services.mailbox.pending(job.outbox_id).await? else {
        tracing::info!("already sent; nothing to do");
        return Ok(());
    };
    let rendered = render(email.template, &email.data, &services.app_name).map_err(JobError::permanent)?;
    let outgoing = Outgoing { id: job.outbox_id, to: email.to, rendered };
    services.mailer.send(&outgoing).await?;
    services.mailbox.mark_sent(job.outbox_id).await?;
    tracing::info!(template = email.template.name(), "mail sent");
    Ok(())
}
