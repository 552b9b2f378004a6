//! Who may read a document.

use uuid::Uuid;

/// Who may read: the owner only, or staff reviewing KYC (any owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Owner(Uuid),
    Staff,
}

impl Access {
    /// `(is_staff, owner)` for the store's `($1 = 1 OR d.owner_id = $2)` filter.
    pub(super) fn binds(&self) -> (i64, String) {
        match self {
            Self::Owner(id) => (0, id.to_string()),
            Self::Staff => (1, String::new()),
        }
    }
}
