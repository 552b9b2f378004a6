//! A card as its owner sees it, and what is shown once at creation.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Frozen,
    Closed,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Frozen => "frozen",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, sqlx::Error> {
        match raw {
            "active" => Ok(Self::Active),
            "frozen" => Ok(Self::Frozen),
            "closed" => Ok(Self::Closed),
            other => Err(sqlx::Error::Decode(format!("unknown card status {other:?}").into())),
        }
    }
}

/// Per-card spending limits in minor units of the account's currency; absent = only the
/// account's own limits apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendingLimit {
    /// Most one authorization may be for.
    pub per_transaction: Option<i64>,
    /// Most the card's authorizations may reserve per UTC day (released ones do not count).
    pub daily: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Card {
    pub id: Uuid,
    pub account_id: Uuid,
    pub last4: String,
    pub expiry_month: u32,
    pub expiry_year: i32,
    pub status: CardStatus,
    pub spending_limit: SpendingLimit,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub user_id: Uuid,
}

impl Card {
    /// Whether the card is past the last day of its expiry month at `now`.
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        let first_after = if self.expiry_month == 12 {
            NaiveDate::from_ymd_opt(self.expiry_year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.expiry_year, self.expiry_month + 1, 1)
        };
        first_after.is_none_or(|day| now.date_naive() >= day)
    }
}

/// The expiry (month, year) of a card issued at `now`, valid `years`.
pub fn expiry_of(now: DateTime<Utc>, years: u32) -> (u32, i32) {
    (now.month(), now.year() + i32::try_from(years).unwrap_or(3))
}

/// A new card with its number and code: the only response that ever carries them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedCard {
    #[serde(flatten)]
    pub card: Card,
    /// The full card number. Shown once: store it in the cardholder's wallet now.
    pub pan: String,
    /// The card verification code. Shown once; tresor never stores it.
    pub cvv: String,
}

impl std::fmt::Debug for IssuedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCard").field("card", &self.card).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_expires_after_the_last_day_of_its_month() {
        let card = |month, year| Card {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            last4: "0000".into(),
            expiry_month: month,
            expiry_year: year,
            status: CardStatus::Active,
            spending_limit: SpendingLimit::default(),
            created_at: Utc::now(),
            user_id: Uuid::nil(),
        };
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!card(2, 2028).expired_at(at("2028-02-29T23:59:59Z")));
        assert!(card(2, 2028).expired_at(at("2028-03-01T00:00:00Z")));
        assert!(!card(12, 2028).expired_at(at("2028-12-31T12:00:00Z")));
        assert!(card(12, 2028).expired_at(at("2029-01-01T00:00:00Z")));
    }
}
