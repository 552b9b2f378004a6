//! The `[exports]` section, read by the exports service.

use serde::Deserialize;

/// The `[exports]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSettings {
    /// How long a finished export (and its link) stays downloadable.
    pub ttl_hours: u32,
}

impl ExportSettings {
    pub fn ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.ttl_hours))
    }
}
