//! The mail outbox as `send_email` and the sweeper see it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::Row;
use tresor_jobs::JobError;
use tresor_jobs::email::Email;
use tresor_jobs::handlers::Mailbox;
use uuid::Uuid;

use crate::crypto::Keys;
use crate::db::{Db, batch, time};
use crate::mail;

pub struct Outbox {
    db: Db,
    keys: Arc<Keys>,
}

impl Outbox {
    pub fn new(db: Db, keys: Arc<Keys>) -> Self {
        Self { db, keys }
    }

    #[tracing::instrument(skip_all, fields(%id))]
    async fn load(&self, id: Uuid) -> Result<Option<Email>, JobError> {
        let row = sqlx::query("SELECT template, payload, sent_at FROM email_outbox WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.db.reader())
            .await?
            .ok_or_else(|| JobError::Permanent(format!("no queued mail {id}")))?;
        if row.try_get::<Option<String>, _>("sent_at")?.is_some() {
            return Ok(None);
        }
        let template: String = row.try_get("template")?;
        let payload: Option<String> = row.try_get("payload")?;
        mail::open(&self.keys.encryption, &id, &template, payload.as_deref())
            .map_err(|e| JobError::Permanent(format!("queued mail {id} does not open: {e}")))
    }

    #[tracing::instrument(skip_all, fields(messages = ids.len()))]
    async fn sent(&self, ids: &[Uuid]) -> Result<(), JobError> {
        if ids.is_empty() {
            return Ok(());
        }
        // The sealed payload (recipient, one-time links) is not needed once the server has
        // the message: drop it in the same statement.
        // Only placeholders are formatted in.
        let sql = format!(
            "UPDATE email_outbox SET sent_at = $1, payload = NULL WHERE id IN ({}) AND sent_at IS NULL",
            batch::list(2, ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(time::to_db(time::now()));
        for id in ids {
            query = query.bind(id.to_string());
        }
        query.execute(self.db.writer()).await?;
        Ok(())
    }

    async fn list_unsent(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, JobError> {
        let rows = sqlx::query(
            "SELECT id FROM email_outbox WHERE sent_at IS NULL AND created_at >= $1 AND created_at <= $2 \
             ORDER BY created_at LIMIT $3",
        )
        .bind(time::to_db(since))
        .bind(time::to_db(until))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                Uuid::parse_str(&id).map_err(JobError::permanent)
            })
            .collect()
    }
}

impl Mailbox for Outbox {
    fn pending(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Email>, JobError>> {
        Box::pin(self.load(id))
    }

    fn mark_sent<'a>(&'a self, ids: &'a [Uuid]) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.sent(ids))
    }

    fn unsent(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Uuid>, JobError>> {
        Box::pin(self.list_unsent(since, until, limit))
    }
}
