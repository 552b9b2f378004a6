//! Holds as their account's owner sees them: money reserved by a card authorization, until it
//! is captured, released or expires.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::command::{Command, HoldOp, Idempotency, Movement};
use super::money::{Amount, Currency};
use crate::audit::Actor;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    Open,
    Captured,
    Released,
    Expired,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Captured => "captured",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, sqlx::Error> {
        match raw {
            "open" => Ok(Self::Open),
            "captured" => Ok(Self::Captured),
            "released" => Ok(Self::Released),
            "expired" => Ok(Self::Expired),
            other => Err(sqlx::Error::Decode(format!("unknown hold status {other:?}").into())),
        }
    }
}

/// A hold. Amounts are minor units of the account's currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hold {
    pub id: Uuid,
    /// What was reserved.
    pub amount: i64,
    pub currency: Currency,
    /// What a capture posted (0 until then); the rest went back to the available balance.
    pub captured: i64,
    pub status: HoldStatus,
    pub description: Option<String>,
    /// When the expiry job releases it if it is still open.
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub account_id: Uuid,
    #[serde(skip)]
    pub card_id: Option<Uuid>,
}

impl Hold {
    /// The command that ends this hold (a capture or a release), posting against `cash`, the
    /// currency's cash account.
    pub fn end_command(
        &self,
        actor: &Actor,
        amount: Amount,
        op: HoldOp,
        key: Option<Idempotency>,
        cash: Uuid,
    ) -> Command {
        Command {
            movement: Movement::Withdrawal,
            amount,
            currency: self.currency,
            counter_account: cash,
            counter_number: None,
            description: self.description.clone(),
            initiated_by: actor.user_id.unwrap_or(Uuid::nil()),
            idempotency: key,
            actor: actor.clone(),
            reverses: None,
            hold: Some(op),
        }
    }
}
