//! An entry as it is stored before it is linked: every column as text, exactly what its hash
//! will cover.

use uuid::Uuid;

use super::chain::Link;
use super::{Actor, Event};

/// An entry's stored text columns, before it is linked (its own and the previous hash).
#[derive(Debug, sqlx::FromRow)]
pub struct Staged {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl Staged {
    pub fn new(id: Uuid, at: &str, actor: &Actor, event: &Event) -> Self {
        Self {
            id: id.to_string(),
            at: at.to_owned(),
            actor_id: actor.user_id.map(|u| u.to_string()),
            action: event.action.to_owned(),
            target_type: event.target_type.to_owned(),
            target_id: event.target_id.clone(),
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            old_value: event.old.as_ref().map(serde_json::Value::to_string),
            new_value: event.new.as_ref().map(serde_json::Value::to_string),
        }
    }

    /// The hash of this entry as link `seq` after `prev_hash`.
    pub fn hash(&self, seq: i64, prev_hash: &str) -> String {
        Link {
            seq,
            id: &self.id,
            at: &self.at,
            actor_id: self.actor_id.as_deref(),
            action: &self.action,
            target_type: &self.target_type,
            target_id: self.target_id.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            old_value: self.old_value.as_deref(),
            new_value: self.new_value.as_deref(),
            prev_hash,
        }
        .hash()
    }
}
