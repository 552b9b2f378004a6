//! Settings of four-eyes approvals (docs/backoffice.md).

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    /// Reversals of more than this many minor units need a second staff member's approval;
    /// at or below it, the requester's reversal posts at once. 0: every reversal needs one.
    pub reverse_above: i64,
}
