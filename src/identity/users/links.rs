//! What an emailed link's token is worth before anyone uses it: the hosted pages show "this
//! link was used" or "this link expired" instead of a form that cannot succeed, and say which
//! after a refused use. Looking never uses a token up (mail scanners open links too).

use super::Identity;
use crate::db::{decode, time};
use crate::error::Error;
use crate::identity::store::one_time;
use crate::identity::tokens::opaque;

pub use crate::identity::store::one_time::Purpose as LinkPurpose;

/// The state of a link's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Unused and in time: the page shows its form.
    Live,
    Used,
    Expired,
    /// Not a token this service issued for this purpose.
    Invalid,
}

impl Identity {
    pub async fn link_state(&self, purpose: LinkPurpose, token: &str) -> Result<LinkState, Error> {
        let token = token.trim();
        if !opaque::well_formed(token) {
            return Ok(LinkState::Invalid);
        }
        let Some(found) = one_time::state(self.db.reader(), purpose, &opaque::hash(token)).await? else {
            return Ok(LinkState::Invalid);
        };
        Ok(if found.used_at.is_some() {
            LinkState::Used
        } else if decode::time(&found.expires_at)? <= time::now() {
            LinkState::Expired
        } else {
            LinkState::Live
        })
    }
}
