//! Building and queueing the emails identity sends: links point at the client application under
//! the public URL, with the token in the fragment so it never reaches a server log or a Referer
//! header.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::email::{Email, Template};

use crate::crypto::Keys;

/// What sending needs: the ring that seals queued mail, the job queue, and where links point.
#[derive(Clone)]
pub struct Emails {
    keys: Arc<Keys>,
    jobs: tresor_jobs::Store,
    public_url: String,
}

impl Emails {
    pub fn new(keys: Arc<Keys>, jobs: tresor_jobs::Store, public_url: String) -> Self {
        Self { keys, jobs, public_url }
    }

    /// A link to `page` of the client application carrying `token`.
    pub fn link(&self, page: &str, token: &str) -> String {
        format!("{}/{page}#token={token}", self.public_url)
    }

    /// Queues an email on `conn` (inside the caller's transaction when it has one).
    pub async fn send(
        &self,
        conn: &mut AnyConnection,
        to: &str,
        template: Template,
        data: serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        let email = Email { to: to.to_owned(), template, data };
        // The delivery job joins this transaction on the database queue; on Redis the sweeper
        // enqueues it within a minute or two of the commit.
        let (_, _deferred_to_the_sweeper) = crate::mail::send(conn, &self.keys.encryption, &self.jobs, email).await?;
        Ok(())
    }

    /// Someone registered (or tried to) with an address that already has an account.
    pub fn registration_attempt(&self, full_name: &str) -> serde_json::Value {
        json!({
            "full_name": full_name,
            "link": format!("{}/forgot-password", self.public_url),
            "at": when(Utc::now()),
        })
    }
}

/// A time as emails show it.
pub fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
