//! `sweep`: re-enqueue work whose row is still pending past a grace period, so a crash between
//! a commit and its enqueue (or a Redis outage) loses nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::{Mailbox, Services, SweepWindow, Sweeper};
use crate::error::JobError;
use crate::job::SendEmail;
use crate::store::{NewJob, Store};

/// The mail outbox's sweeper: unsent messages older than the grace period (and younger than
/// the window, so a long-dead message is not resurrected) get their `send_email` job again.
pub struct MailSweeper {
    pub mailbox: Arc<dyn Mailbox>,
    pub window: SweepWindow,
    pub max_attempts: usize,
}

impl Sweeper for MailSweeper {
    fn name(&self) -> &'static str {
        "email_outbox"
    }

    fn pending(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<NewJob>, JobError>> {
        Box::pin(async move {
            let since = now - chrono::Duration::from_std(self.window.max_age).map_err(JobError::permanent)?;
            let until = now - chrono::Duration::from_std(self.window.grace).map_err(JobError::permanent)?;
            let ids = self.mailbox.unsent(since, until, 1000).await?;
            ids.into_iter()
                .map(|outbox_id| NewJob::of(&SendEmail::one(outbox_id), self.max_attempts).map_err(JobError::permanent))
                .collect()
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn sweep(services: &Services, store: &Store) -> Result<(), JobError> {
    let now = Utc::now();
    let mut first_error = None;
    for sweeper in &services.sweepers {
        let outcome = async {
            let jobs = sweeper.pending(now).await?;
            store.push_many(&jobs).await.map_err(JobError::retryable)
        }
        .await;
        match outcome {
            Ok(0) => {}
            Ok(enqueued) => {
                tracing::warn!(sweeper = sweeper.name(), enqueued, "re-enqueued work that had lost its job")
            }
            Err(error) => {
                tracing::warn!(sweeper = sweeper.name(), error = %error, "sweep failed");
                first_error.get_or_insert(error);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}
