//! The dashboard's figures as data, and the cache that keeps the last ones counted. Counting
//! them is `Staff::dashboard` (`super::dashboard`); the counts of `GET /v1/admin/stats` are
//! [`Stats`] (`super::lists`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Mutex;

/// How long counted figures are shown before they are counted again.
pub const FIGURES_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /v1/admin/stats`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub users_by_status: BTreeMap<String, i64>,
    pub users_by_kyc_status: BTreeMap<String, i64>,
    /// Transfers since midnight UTC.
    pub transfers_today: i64,
    /// Jobs waiting (due now or later) and dead, over every queue.
    pub jobs_queued: u64,
    pub jobs_failed: u64,
}

#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// When these figures were counted (at most [`FIGURES_FRESH_FOR`] ago).
    pub counted_at: DateTime<Utc>,
    pub stats: Stats,
    /// One entry per day of the window, oldest first, zero-filled: `(YYYY-MM-DD, transfers)`.
    pub transfers_per_day: Vec<(String, i64)>,
    /// Submissions awaiting review per age bucket (`super::dashboard::KYC_AGE_BUCKETS`).
    pub kyc_waiting_by_age: Vec<(String, i64)>,
    pub open_cases_by_kind: Vec<(String, i64)>,
    pub queues: Vec<tresor_jobs::store::QueueDepth>,
}

/// The last figures counted, for one window of days.
#[derive(Debug, Default)]
pub struct FiguresCache {
    /// Held while counting, so that concurrent views wait for one count instead of each counting.
    pub(super) last: Mutex<Option<(Instant, u16, Arc<Dashboard>)>>,
}
