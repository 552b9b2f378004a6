//! Business metrics on `/metrics`, beside the process's and the requests': money moved (count,
//! volume and size of transfers per currency; reversals), the back office's queues (open cases,
//! pending approvals, the KYC queue's size and oldest wait) and document scan verdicts.
//! Counters and bucketed histograms (never summaries), each with its HELP text. Levels that live
//! in the database are read when `/metrics` is scraped ([`QueueLevels`]).

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

pub const TRANSFERS: &str = "ledger_transfers_total";
pub const TRANSFER_VOLUME: &str = "ledger_transfer_volume_minor_total";
pub const TRANSFER_AMOUNT: &str = "ledger_transfer_amount_minor";
pub const REVERSALS: &str = "ledger_reversals_total";
pub const CASES_OPENED: &str = "cases_opened_total";
pub const CASES_OPEN: &str = "cases_open";
pub const APPROVALS_PENDING: &str = "approvals_pending";
pub const APPROVALS_DECIDED: &str = "approvals_decided_total";
pub const KYC_QUEUE: &str = "kyc_queue_size";
pub const KYC_QUEUE_AGE: &str = "kyc_queue_oldest_age_seconds";
pub const SCAN_VERDICTS: &str = "document_scan_verdicts_total";

/// Transfer sizes in minor units: 1.00 to 1,000,000.00.
pub const AMOUNT_BUCKETS: [f64; 9] = [100.0, 1e3, 1e4, 5e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Registers the HELP text of every business metric (call once, after installing the recorder).
pub fn describe() {
    describe_counter!(TRANSFERS, "Transfers committed, per currency (reversals not included)");
    describe_counter!(TRANSFER_VOLUME, "Money moved by committed transfers, in minor units of each currency");
    describe_histogram!(TRANSFER_AMOUNT, "Size of committed transfers in minor units, per currency");
    describe_counter!(REVERSALS, "Compensating entries posted, per currency");
    describe_counter!(CASES_OPENED, "Cases opened for staff, per kind (large_transfer, velocity)");
    describe_gauge!(CASES_OPEN, "Cases not resolved yet (read at scrape time)");
    describe_gauge!(APPROVALS_PENDING, "Four-eyes requests awaiting a decision (read at scrape time)");
    describe_counter!(APPROVALS_DECIDED, "Four-eyes requests decided, per kind and decision");
    describe_gauge!(KYC_QUEUE, "Users whose KYC submission awaits review (read at scrape time)");
    describe_gauge!(
        KYC_QUEUE_AGE,
        Unit::Seconds,
        "How long the oldest KYC submission has waited (read at scrape time)"
    );
    describe_counter!(SCAN_VERDICTS, "Document scan verdicts recorded, per verdict (clean, rejected)");
}

/// The back office's queues, as read from the database when `/metrics` is scraped.
#[derive(Debug, Default)]
pub struct QueueLevels {
    pub cases_open: i64,
    pub approvals_pending: i64,
    pub kyc_queue: i64,
    pub kyc_oldest_age_secs: i64,
}

impl QueueLevels {
    pub fn publish(&self) {
        metrics::gauge!(CASES_OPEN).set(self.cases_open as f64);
        metrics::gauge!(APPROVALS_PENDING).set(self.approvals_pending as f64);
        metrics::gauge!(KYC_QUEUE).set(self.kyc_queue as f64);
        metrics::gauge!(KYC_QUEUE_AGE).set(self.kyc_oldest_age_secs as f64);
    }
}
