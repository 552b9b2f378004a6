//! Settings of events out: the outbox, its relay, the live feed and webhooks (docs/events.md).

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// Write ledger events to the outbox. Only the ledger benchmark turns it off (to measure
    /// what the outbox costs); with it off, transfers publish nothing.
    pub outbox: bool,
    /// Events the relay hands on per transaction.
    pub relay_batch: u32,
    /// Milliseconds the relay waits when it found nothing to hand on.
    pub relay_poll_ms: u64,
    /// Seconds a relay's lease lasts without renewal; another relay takes over after it.
    pub lease_secs: u64,
    /// `XADD <prefix>:events MAXLEN ~ stream_max_len` (when Redis is configured).
    pub stream_max_len: u64,
    /// Milliseconds between a live stream's looks at the outbox (beside the in-process wake-up).
    pub feed_poll_ms: u64,
    /// Seconds between heartbeat comments on a live stream.
    pub heartbeat_secs: u64,
    /// Live streams one user may hold open at once.
    pub max_streams_per_user: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Deliver to private, loopback, link-local and metadata addresses (tests, internal hooks).
    pub allow_private_targets: bool,
    /// Seconds before the first retry; each later one waits twice as long (with jitter).
    pub first_retry_secs: u64,
    /// Seconds after its first attempt that a failing delivery is given up (dead).
    pub retry_for_secs: u64,
    /// Seconds of failing without a success after which an endpoint is disabled.
    pub disable_after_secs: u64,
    /// Seconds an attempt may take (connect, send, answer).
    pub timeout_secs: u64,
    /// Seconds an old secret keeps signing beside a rotated one.
    pub rotation_overlap_secs: u64,
    /// Milliseconds between looks for due deliveries.
    pub poll_ms: u64,
    /// Deliveries attempted at once.
    pub concurrency: usize,
}
