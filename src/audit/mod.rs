//! The tamper-evident audit chain that every capability writes to in the same transaction as
//! the change it describes. The ledger's hot path stages its entries instead ([`staged_rows`]),
//! and the linker chains them right after commit ([`Audit::link_pending`]).

mod append;
mod chain;
mod linker;
pub mod query;
mod service;
mod staged;
mod store;
mod verify;

use serde::Serialize;
use uuid::Uuid;

pub use append::{record, record_many, staged_rows};
pub use service::Audit;
pub use verify::ChainReport;

/// Who did something, from where: taken from the request at the edge, passed explicitly.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The system itself (jobs, the CLI): no user, no address.
    pub fn system() -> Self {
        Self::default()
    }
}

/// What happened to which thing, with the values before and after (secrets redacted by the
/// caller: the chain is kept forever and read by auditors).
#[derive(Clone, Debug)]
pub struct Event {
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// A stored link of the chain.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub hash: String,
}
