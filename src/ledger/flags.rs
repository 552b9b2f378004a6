//! Transfers staff should look at: above the review threshold, or part of an unusual burst
//! from one account. Flagging never refuses a transfer; it records a security event and a staff
//! notification in the same transaction.

use std::collections::VecDeque;

use super::command::{Command, Movement};
use crate::config::LedgerSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    Large,
    Velocity,
}

impl Flag {
    /// The kind of the case a flag opens.
    pub fn case_kind(self) -> &'static str {
        match self {
            Self::Large => "large_transfer",
            Self::Velocity => "velocity",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Self::Large => "above the review threshold",
            Self::Velocity => "unusually many transfers from one account in a short time",
        }
    }
}

/// The recent outgoing transfers of one account, as its actor saw them (per process).
#[derive(Clone, Debug, Default)]
pub struct Velocity {
    recent: VecDeque<i64>,
    flagged_at: Option<i64>,
}

/// Flags among this batch's applied transfers (`applied(index)`: the plan let it take effect);
/// `now` in Unix seconds.
pub fn detect(
    velocity: &mut Velocity,
    batch: &[Command],
    applied: impl Fn(usize) -> bool,
    limits: &LedgerSettings,
    now: i64,
) -> Vec<(usize, Flag)> {
    let mut flags = Vec::new();
    let window = limits.velocity_window_secs;
    for (index, command) in batch.iter().enumerate() {
        if !applied(index) || command.movement != Movement::Transfer || command.reverses.is_some() {
            continue;
        }
        if command.amount.minor_units() > limits.review_threshold {
            flags.push((index, Flag::Large));
        }
        velocity.recent.push_back(now);
        while velocity.recent.len() > limits.velocity_max_transfers + 1 {
            velocity.recent.pop_front();
        }
        let burst = velocity.recent.len() > limits.velocity_max_transfers
            && velocity.recent.front().is_some_and(|first| now - first < window);
        // One flag per window: a burst is one thing for staff to look at, not thousands.
        if burst && velocity.flagged_at.is_none_or(|at| now - at >= window) {
            velocity.flagged_at = Some(now);
            flags.push((index, Flag::Velocity));
        }
    }
    flags
}
