//! Accounts: what a customer holds, as stored and as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::Currency;
use super::number::AccountNumber;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Checking,
    Savings,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Savings => "savings",
        }
    }
}

/// `frozen` refuses debits (credits still arrive); `closed` refuses everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Open,
    Frozen,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Frozen => "frozen",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, sqlx::Error> {
        match raw {
            "open" => Ok(Self::Open),
            "frozen" => Ok(Self::Frozen),
            "closed" => Ok(Self::Closed),
            other => Err(sqlx::Error::Decode(format!("unknown account status {other:?}").into())),
        }
    }
}

/// An account as its owner sees it. Amounts are minor units of `currency`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub number: AccountNumber,
    pub kind: AccountKind,
    pub currency: Currency,
    pub balance: i64,
    /// What can be spent now: `balance` less the open holds (card authorizations not yet
    /// captured). Every debit is decided against it.
    pub available_balance: i64,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub user_id: Option<Uuid>,
}
