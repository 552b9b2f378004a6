//! Settings of holds and cards (docs/money.md).

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldSettings {
    /// Days an open hold (a card authorization not captured) lasts before the expiry job
    /// releases it.
    pub expiry_days: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSettings {
    /// The card network's bearer key for `/v1/card-network/*`; empty = those endpoints answer 404.
    pub network_api_key: SecretString,
    /// The issuer identification number every PAN starts with: 6 digits.
    pub bin: String,
    /// Years a new card is valid (its expiry is the end of that month).
    pub valid_years: u32,
    /// An approved authorization above this amount (minor units) emails the card's owner.
    pub large_authorization_above: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledSettings {
    /// Seconds between the ticks that find due scheduled transfers: an occurrence that is due
    /// runs within this long. 1..=59 must divide 60; from 60 on, a whole number of minutes.
    pub tick_secs: u64,
}

impl StatementSettings {
    /// The monthly tick (00:30 UTC on `day`) as a six-field cron expression.
    pub fn cron(&self) -> String {
        format!("0 30 0 {} * *", self.day.clamp(1, 28))
    }
}

impl ScheduledSettings {
    /// The tick as a six-field cron expression (seconds first).
    pub fn cron(&self) -> String {
        match self.tick_secs {
            0..60 => format!("*/{} * * * * *", self.tick_secs.max(1)),
            secs => format!("0 */{} * * * *", (secs / 60).clamp(1, 59)),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementSettings {
    /// The day of the month last month's statements are built (1..=28).
    pub day: u32,
}
