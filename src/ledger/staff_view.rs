//! Accounts as staff see them: with their owner, and the filters of a search.

use serde::Serialize;
use uuid::Uuid;

use super::account::{Account, AccountStatus};
use super::hold::Hold;

/// The owner of an account, as staff see it (`email` is null once the user is erased).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Owner {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

/// An account with its owner (and, in the account's own view, its open holds).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    #[serde(flatten)]
    pub account: Account,
    pub owner: Option<Owner>,
    /// The holds reserving part of the balance (`balance - available_balance`), oldest first;
    /// in the detail of one account only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_holds: Option<Vec<Hold>>,
}

/// `GET /v1/admin/accounts` filters.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// An account number (or its first digits), or part of the owner's email.
    pub q: Option<String>,
    pub user_id: Option<Uuid>,
    pub status: Option<AccountStatus>,
}
