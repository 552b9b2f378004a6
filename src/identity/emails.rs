//! Building and queueing the emails identity sends. Links for people point at the server's own
//! hosted pages (`<public_url>/<page>?token=…`, usable without JavaScript; the pages never log
//! the query and send no Referer), or, when `TRESOR_APP_URL` names the operator's own front end,
//! at that front end with the token in the fragment (`<app_url>/<page>#token=…`), which never
//! reaches a server log.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use tresor_jobs::Deferred;
use tresor_jobs::email::{Email, Template};

use crate::crypto::Keys;

/// What sending needs: the ring that seals queued mail, the job queue, and where links point.
#[derive(Clone)]
pub struct Emails {
    keys: Arc<Keys>,
    jobs: tresor_jobs::Store,
    public_url: String,
    app_url: Option<String>,
}

impl Emails {
    pub fn new(keys: Arc<Keys>, jobs: tresor_jobs::Store, public_url: String, app_url: Option<String>) -> Self {
        Self { keys, jobs, public_url, app_url }
    }

    /// A link to `page` carrying `token`: the operator's front end when there is one, else the
    /// hosted page.
    pub fn link(&self, page: &str, token: &str) -> String {
        match &self.app_url {
            Some(app) => format!("{app}/{page}#token={token}"),
            None => format!("{}/{page}?token={token}", self.public_url),
        }
    }

    /// Queues an email on `conn` (inside the caller's transaction when it has one). The delivery
    /// job joins the transaction on the database queue; on Redis it comes back deferred: hand it
    /// to [`Emails::after_commit`] once the transaction has committed.
    pub async fn send(
        &self,
        conn: &mut AnyConnection,
        to: &str,
        template: Template,
        data: serde_json::Value,
    ) -> Result<Deferred, sqlx::Error> {
        let email = Email { to: to.to_owned(), template, data };
        let (_, deferred) = crate::mail::send(conn, &self.keys.encryption, &self.jobs, email).await?;
        Ok(deferred)
    }

    /// Pushes the delivery jobs of committed emails (Redis queue; nothing on the database queue).
    pub async fn after_commit(&self, deferred: Deferred) {
        deferred.after_commit(&self.jobs).await;
    }

    /// Someone registered (or tried to) with an address that already has an account.
    pub fn registration_attempt(&self, full_name: &str) -> serde_json::Value {
        json!({
            "full_name": full_name,
            "link": format!("{}/forgot-password", self.app_url.as_deref().unwrap_or(&self.public_url)),
            "at": when(Utc::now()),
        })
    }
}

/// A time as emails show it.
pub fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
