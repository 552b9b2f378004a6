//! Ledger settings (`[ledger]` in the configuration). Amounts are minor units.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSettings {
    /// Largest single deposit, withdrawal or transfer.
    pub max_transaction: i64,
    /// Most that may leave one account (withdrawals + transfers) per UTC day.
    pub daily_outgoing: i64,
    /// Transfers above this need a session that passed MFA (403 `mfa-step-up-required`).
    pub step_up_threshold: i64,
    /// Transfers above this are flagged for staff review (security event + notification).
    pub review_threshold: i64,
    /// More outgoing transfers than this from one account within `velocity_window_secs` is
    /// flagged for staff review (counted per server process).
    pub velocity_max_transfers: usize,
    pub velocity_window_secs: i64,
    /// Most mutations one account actor commits in one transaction.
    pub group_commit_max: usize,
    /// Seconds an idle account actor lives before it stops.
    pub actor_idle_secs: u64,
    /// Tasks that commit the batches of many account actors together, one transaction each
    /// (0: every actor commits its own batch in its own transaction).
    pub committers: usize,
    /// Most account batches one of those transactions carries.
    pub combine_max: usize,
    /// `actors` (per-account actors with group commit), or `locked`: one transaction per request
    /// with row locks and no actors — the baseline the benchmark compares against.
    pub engine: LedgerEngine,
    /// Whether committed movements write their `transaction.posted` events: set from
    /// `[events] outbox` (never read from `[ledger]`).
    #[serde(skip, default = "outbox_on")]
    pub outbox: bool,
}

fn outbox_on() -> bool {
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerEngine {
    Actors,
    Locked,
}
