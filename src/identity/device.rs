//! Where a request comes from, as identity records it: the device a session is opened on, and
//! the place of the audit entry's actor.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::Actor;

#[derive(Clone, Debug, Default)]
pub struct Device {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Device {
    pub fn actor(&self, user_id: Option<Uuid>) -> Actor {
        Actor { user_id, ip: self.ip.clone(), user_agent: self.user_agent.clone() }
    }

    /// Identifies the device across sessions (user agent and chosen name), for new-device mail.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.user_agent.as_deref().unwrap_or_default().as_bytes());
        hasher.update(b"\0");
        hasher.update(self.name.as_deref().unwrap_or_default().as_bytes());
        hex::encode(hasher.finalize())
    }
}
