//! Staff notifications: things a person at the bank should look at (a KYC submission waiting
//! for review, a transfer flagged as unusual). Written in the caller's transaction.

mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::db::Db;
use crate::error::{Error, Problem};

pub const KYC_SUBMITTED: &str = "kyc_submitted";
pub const TRANSFER_FLAGGED: &str = "transfer_flagged";
pub const LEDGER_DISCREPANCY: &str = "ledger_discrepancy";

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub message: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
}

/// Records a notification in the caller's transaction.
#[tracing::instrument(skip_all, fields(kind = kind))]
pub async fn notify(
    conn: &mut AnyConnection,
    kind: &'static str,
    subject_type: &'static str,
    subject_id: &str,
    message: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    store::insert(conn, id, kind, subject_type, subject_id, message).await?;
    metrics::counter!("staff_notifications_total", "kind" => kind).increment(1);
    Ok(id)
}

/// Reading the notifications staff look at. Writing one is not a method: a notification joins
/// the transaction of the event it reports ([`notify`] takes the caller's connection).
#[derive(Clone, Debug)]
pub struct Notifications {
    db: Db,
}

impl Notifications {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Newest first; `before` is the id the previous page ended at; acknowledged ones only
    /// with `include_acknowledged`.
    pub async fn list(
        &self,
        limit: u32,
        before: Option<Uuid>,
        include_acknowledged: bool,
    ) -> Result<Vec<Notification>, sqlx::Error> {
        store::page(self.db.reader(), limit, before, include_acknowledged).await
    }

    /// Acknowledges notification `id` for `actor` (audited; acknowledging twice is fine).
    pub async fn acknowledge(&self, actor: &Actor, id: Uuid) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        if !store::acknowledge(&mut tx, id, actor.user_id).await? {
            return Err(Problem::not_found("notification").into());
        }
        let event = Event {
            action: "notification.acknowledged",
            target_type: "notification",
            target_id: Some(id.to_string()),
            old: None,
            new: Some(serde_json::json!({"acknowledged": true})),
        };
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
