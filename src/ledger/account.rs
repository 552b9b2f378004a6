//! Accounts: what a customer holds, as stored and as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::money::Currency;
use super::number::AccountNumber;
use crate::db::time;

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
    /// What can be spent now. Equal to `balance`: tresor places no holds.
    pub available_balance: i64,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub user_id: Option<Uuid>,
}

pub const COLUMNS: &str = "id, user_id, number, kind, currency, balance, status, created_at";

pub fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    let decode = |e: String| sqlx::Error::Decode(e.into());
    let id: String = row.try_get("id")?;
    let user_id: Option<String> = row.try_get("user_id")?;
    let number: String = row.try_get("number")?;
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "checking" => AccountKind::Checking,
        "savings" => AccountKind::Savings,
        other => return Err(decode(format!("not a customer account kind: {other}"))),
    };
    let currency: String = row.try_get("currency")?;
    let balance: i64 = row.try_get("balance")?;
    Ok(Account {
        id: parse_uuid(&id)?,
        user_id: user_id.as_deref().map(parse_uuid).transpose()?,
        number: number.parse().map_err(|e: &str| decode(e.to_owned()))?,
        kind,
        currency: currency.parse().map_err(decode)?,
        balance,
        available_balance: balance,
        status: AccountStatus::parse(&row.try_get::<String, _>("status")?)?,
        created_at: time::from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}

pub fn parse_uuid(raw: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
