//! What staff read: the audit chain (filtered, and its check), security events,
//! notifications, counts and the job queues. Each read is recorded with what was asked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::Page;
use super::error::StaffError;
pub use super::figures::Stats;
use super::service::Staff;
use super::store::records::{self, SecurityEventRow, UserColumn};
use crate::audit::query::{AuditFilter, Direction, json_of};
use crate::audit::{Actor, ChainReport, Entry};
use crate::db::decode;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecurityEventView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl SecurityEventView {
    fn from_row(row: SecurityEventRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: decode::uuid(&row.id)?,
            at: decode::time(&row.at)?,
            kind: row.kind,
            user_id: row.user_id.as_deref().map(decode::uuid).transpose()?,
            ip: row.ip,
            detail: json_of(row.detail).unwrap_or_default(),
        })
    }
}

fn job_overview_failed(error: impl std::fmt::Display) -> StaffError {
    anyhow::anyhow!("job overview: {error}").into()
}

impl Staff {
    /// The audit chain, newest first; the cursor is the `seq` the previous page ended at.
    pub async fn audit_logs(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<Page<Entry>, StaffError> {
        let items = self.records.audit.page(filter, Direction::NewestBefore(cursor), limit + 1).await?;
        let page = Page::from_one_extra(items, limit, |e| e.seq.to_string());
        let detail = json!({"user_id": filter.user_id, "action": filter.action, "from": filter.from, "to": filter.to});
        self.record_read(actor, "admin.audit_logs.list", "audit_log", None, detail).await?;
        Ok(page)
    }

    /// Walks the tamper-evident chain.
    pub async fn verify_audit_chain(&self, actor: &Actor) -> Result<ChainReport, StaffError> {
        let report = self.records.audit.verify().await?;
        let detail = json!({"ok": report.ok, "checked": report.checked});
        self.record_read(actor, "admin.audit_logs.verify", "audit_log", None, detail).await?;
        Ok(report)
    }

    /// Newest first, optionally of one kind or user; the cursor is the last id.
    pub async fn security_events(
        &self,
        actor: &Actor,
        kind: Option<&str>,
        user: Option<Uuid>,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<Page<SecurityEventView>, StaffError> {
        let rows = records::security_events(self.db.reader(), kind, user, cursor, i64::from(limit) + 1).await?;
        let items: Vec<SecurityEventView> =
            rows.into_iter().map(SecurityEventView::from_row).collect::<Result<_, _>>()?;
        let page = Page::from_one_extra(items, limit, |e| e.id.to_string());
        let detail = json!({"kind": kind, "user_id": user, "results": page.items.len()});
        self.record_read(actor, "admin.security_events.list", "security_event", None, detail).await?;
        Ok(page)
    }

    /// Staff notifications, newest first; the cursor is the last id.
    pub async fn notifications(
        &self,
        actor: &Actor,
        limit: u32,
        cursor: Option<Uuid>,
        include_acknowledged: bool,
    ) -> Result<Page<crate::notifications::Notification>, StaffError> {
        let items = self.records.notifications.list(limit + 1, cursor, include_acknowledged).await?;
        let page = Page::from_one_extra(items, limit, |n| n.id.to_string());
        let detail = json!({"results": page.items.len(), "include_acknowledged": include_acknowledged});
        self.record_read(actor, "admin.notifications.list", "notification", None, detail).await?;
        Ok(page)
    }

    /// Users by status and KYC status, transfers today, jobs queued and dead.
    pub async fn stats(&self, actor: &Actor) -> Result<Stats, StaffError> {
        let stats = self.stats_unrecorded().await?;
        self.record_read(actor, "admin.stats.read", "stats", None, json!({})).await?;
        Ok(stats)
    }

    /// The counts of [`Self::stats`], for a read that records itself.
    pub(super) async fn stats_unrecorded(&self) -> Result<Stats, StaffError> {
        let midnight = Utc::now().date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
        let reader = self.db.reader();
        let transfers_today = records::transfers_since(reader, midnight).await?;
        let overview = self.jobs.overview(0).await.map_err(job_overview_failed)?;
        let stats = Stats {
            users_by_status: records::users_by(reader, UserColumn::Status).await?.into_iter().collect(),
            users_by_kyc_status: records::users_by(reader, UserColumn::KycStatus).await?.into_iter().collect(),
            transfers_today,
            jobs_queued: overview.queues.iter().map(|q| q.waiting).sum(),
            jobs_failed: overview.queues.iter().map(|q| q.dead).sum(),
        };
        Ok(stats)
    }

    /// Queue depth per job type, recent failures and dead jobs with their errors.
    pub async fn jobs(&self, actor: &Actor) -> Result<tresor_jobs::store::Overview, StaffError> {
        let overview = self.jobs.overview(50).await.map_err(job_overview_failed)?;
        self.record_read(actor, "admin.jobs.read", "jobs", None, json!({})).await?;
        Ok(overview)
    }
}
