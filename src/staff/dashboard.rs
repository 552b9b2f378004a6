//! The staff dashboard's figures: the counts of `GET /v1/admin/stats`, transfers per day, how
//! long KYC submissions have waited, open cases and the job queues. One audited read.
//!
//! Counting them scans the day's transfers and every queue, about four times the work of a list
//! page, so the figures are kept for [`FIGURES_FRESH_FOR`] and shared by every staff member who
//! opens the dashboard meanwhile (they are counts, never personal data). Each view is still
//! audited.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate, Utc};
use serde_json::json;

use super::error::StaffError;
pub use super::figures::{Dashboard, FIGURES_FRESH_FOR};
use super::service::Staff;
use super::store::records;
use crate::audit::Actor;

/// How long KYC submissions have waited, by bucket.
pub const KYC_AGE_BUCKETS: [(&str, i64); 5] =
    [("< 1 h", 1), ("1–4 h", 4), ("4–24 h", 24), ("1–3 days", 72), ("> 3 days", i64::MAX)];

/// `days` days ending today, each with its count from `counted` (0 when absent).
fn every_day(today: NaiveDate, days: u16, counted: &[(String, i64)]) -> Vec<(String, i64)> {
    (0..i64::from(days))
        .rev()
        .map(|back| {
            let day = (today - Duration::days(back)).format("%Y-%m-%d").to_string();
            let count = counted.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            (day, count)
        })
        .collect()
}

fn by_age(now: chrono::DateTime<Utc>, waiting: &[chrono::DateTime<Utc>]) -> Vec<(String, i64)> {
    let mut counts = vec![0_i64; KYC_AGE_BUCKETS.len()];
    for since in waiting {
        let hours = (now - *since).num_hours();
        let bucket = KYC_AGE_BUCKETS.iter().position(|(_, below)| hours < *below).unwrap_or(KYC_AGE_BUCKETS.len() - 1);
        counts[bucket] += 1;
    }
    KYC_AGE_BUCKETS.iter().zip(counts).map(|((label, _), n)| ((*label).to_owned(), n)).collect()
}

impl Staff {
    /// The dashboard over the last `days` days (1 to 90), counted at most
    /// [`FIGURES_FRESH_FOR`] ago. The view is audited.
    pub async fn dashboard(&self, actor: &Actor, days: u16) -> Result<Arc<Dashboard>, StaffError> {
        let days = days.clamp(1, 90);
        let dashboard = {
            let mut last = self.figures.last.lock().await;
            match last.as_ref() {
                Some((at, window, figures)) if *window == days && at.elapsed() < FIGURES_FRESH_FOR => figures.clone(),
                _ => {
                    let figures = Arc::new(self.count_figures(days).await?);
                    *last = Some((Instant::now(), days, figures.clone()));
                    figures
                }
            }
        };
        self.record_read(actor, "admin.dashboard.read", "stats", None, json!({"days": days})).await?;
        Ok(dashboard)
    }

    async fn count_figures(&self, days: u16) -> Result<Dashboard, StaffError> {
        let stats = self.stats_unrecorded().await?;
        let now = Utc::now();
        let today = now.date_naive();
        let first = (today - Duration::days(i64::from(days) - 1)).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let reader = self.db.reader();
        let counted = records::transfers_per_day(reader, first.unwrap_or(now)).await?;
        let waiting = records::kyc_waiting_since(reader).await?;
        let overview = self.jobs.overview(0).await.map_err(|e| anyhow::anyhow!("job overview: {e}"))?;
        Ok(Dashboard {
            counted_at: now,
            stats,
            transfers_per_day: every_day(today, days, &counted),
            kyc_waiting_by_age: by_age(now, &waiting),
            open_cases_by_kind: records::open_cases_by_kind(reader).await?,
            queues: overview.queues,
        })
    }

    /// Puts a dead job back on its queue (attempts reset); false when no dead job has that id.
    pub async fn retry_dead_job(&self, actor: &Actor, id: &str) -> Result<bool, StaffError> {
        let retried = self.jobs.retry_dead(Some(id)).await.map_err(|e| anyhow::anyhow!("job retry: {e}"))?;
        if retried > 0 {
            self.record_read(actor, "admin.jobs.retry", "job", Some(id.to_owned()), json!({"retried": retried}))
                .await?;
        }
        Ok(retried > 0)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    #[test]
    fn every_day_of_the_window_is_there_in_order() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let days = super::every_day(today, 3, &[("2026-12-03".into(), 5)]);
        assert_eq!(days, vec![("2026-12-02".into(), 0), ("2026-12-03".into(), 5), ("2026-12-04".into(), 0)]);
    }

    #[test]
    fn waiting_submissions_fall_in_their_age_bucket() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let waiting = [now - Duration::minutes(5), now - Duration::hours(30), now - Duration::days(10)];
        let counts: Vec<i64> = super::by_age(now, &waiting).into_iter().map(|(_, n)| n).collect();
        assert_eq!(counts, vec![1, 0, 0, 1, 1]);
    }
}
