//! The card network's side: authorizations (a hold on the card's account, or a decline with
//! its reason — answered 201 either way, as networks expect), captures, releases. Every
//! answer to a keyed request is kept under its key, declines decided here included, so a
//! replay gets the first answer.

use chrono::{Duration, Utc};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::card::{Card, CardStatus};
use super::pan::Pan;
use super::service::Cards;
use super::{secrets, store};
use crate::audit::Actor;
use crate::error::{Error, Problem};
use crate::ledger::command::{Idempotency, Outcome};
use crate::ledger::hold::Hold;
use crate::ledger::money::{Amount, Currency};
use crate::ledger::service::NewHold;

/// What the card network sends to authorize a purchase. Never `Debug`: it carries the PAN and
/// CVV.
pub struct AuthorizationRequest {
    pub pan: String,
    pub expiry_month: u32,
    pub expiry_year: i32,
    pub cvv: String,
    pub amount: Amount,
    pub currency: Currency,
    pub merchant: Merchant,
}

pub struct Merchant {
    pub name: String,
    pub mcc: String,
    pub country: String,
}

impl Cards {
    /// Whether the network endpoints are on (`[cards] network_api_key` set).
    pub fn network_enabled(&self) -> bool {
        !self.settings.network_api_key.expose_secret().trim().is_empty()
    }

    /// Whether `offered` is the network's key, compared in constant time.
    pub fn network_key_matches(&self, offered: &str) -> bool {
        let expected = self.settings.network_api_key.expose_secret().trim().as_bytes();
        !expected.is_empty() && bool::from(expected.ct_eq(offered.as_bytes()))
    }

    /// Authorizes a purchase: 201 `approved` (a hold on the card's account) or 201 `declined`.
    pub async fn authorize(&self, request: AuthorizationRequest, key: Idempotency) -> Result<Outcome, Error> {
        if let Some(kept) = self.ledger.kept(&key).await? {
            return Ok(kept);
        }
        let card = match self.check(&request).await? {
            Ok(card) => card,
            Err(reason) => return self.ledger.keep(&key, declined(reason)).await,
        };
        let description = Some(format!("{} ({})", request.merchant.name, request.merchant.country));
        let hold = NewHold {
            account: card.account_id,
            owner: card.user_id,
            card: Some(card.id),
            // Decided with the hold, under the account's lock: concurrent authorizations of the
            // card cannot each see room under it.
            daily_limit: card.spending_limit.daily,
            amount: request.amount,
            currency: request.currency,
            description,
            expires_at: Utc::now() + Duration::days(i64::from(self.holds.expiry_days)),
        };
        tracing::info!(card = %card.id, mcc = %request.merchant.mcc, amount = request.amount.minor_units(), "card authorization");
        let outcome = self.ledger.place_hold(&Actor::system(), hold, Uuid::now_v7(), Some(key)).await?;
        if !outcome.replayed
            && approved(&outcome)
            && request.amount.minor_units() > self.settings.large_authorization_above
        {
            let amount = request.currency.display(request.amount.minor_units());
            super::alerts::large_authorization(self, &card, &amount, &request.merchant.name).await;
        }
        Ok(outcome)
    }

    /// The card the request names, or the reason to decline it.
    async fn check(&self, request: &AuthorizationRequest) -> Result<Result<Card, &'static str>, Error> {
        let Some(pan) = Pan::parse(&request.pan) else { return Ok(Err("invalid-card")) };
        let candidates = secrets::pan_index_candidates(&self.keys.mac, &pan);
        let Some((card, cvv_key)) = store::by_index(self.db.reader(), &candidates).await? else {
            return Ok(Err("invalid-card"));
        };
        let expiry_matches = card.expiry_month == request.expiry_month && card.expiry_year == request.expiry_year;
        let cvv_matches =
            secrets::cvv_matches(&self.keys.mac, &cvv_key, &pan, card.expiry_month, card.expiry_year, &request.cvv);
        if !expiry_matches || !cvv_matches {
            return Ok(Err("invalid-card"));
        }
        let now = Utc::now();
        let reason = match card.status {
            CardStatus::Closed => Some("card-closed"),
            CardStatus::Frozen => Some("card-frozen"),
            CardStatus::Active if card.expired_at(now) => Some("card-expired"),
            CardStatus::Active => None,
        };
        if let Some(reason) = reason {
            return Ok(Err(reason));
        }
        let account = self.ledger.account_currency(card.account_id).await?;
        if account != Some(request.currency) {
            return Ok(Err("currency-mismatch"));
        }
        let amount = request.amount.minor_units();
        if card.spending_limit.per_transaction.is_some_and(|limit| amount > limit) {
            return Ok(Err("limit-exceeded"));
        }
        Ok(Ok(card))
    }

    /// Captures `amount` of an authorization (≤ what it holds; the rest is released): 201 the
    /// posted transaction (kind `card`).
    pub async fn capture(&self, id: Uuid, amount: Amount, key: Idempotency) -> Result<Outcome, Error> {
        if let Some(kept) = self.ledger.kept(&key).await? {
            return Ok(kept);
        }
        let hold = self.authorization(id).await?;
        if amount.minor_units() > hold.amount {
            let problem = crate::ledger::problems::unprocessable(
                "amount-exceeds-hold",
                format!("{} is more than the {} this authorization holds", amount.minor_units(), hold.amount),
            );
            return Err(problem.into());
        }
        self.ledger.capture_hold(&Actor::system(), &hold, amount, Some(key)).await
    }

    /// Refunds `amount` of a captured authorization to the card's account: 201 the posted
    /// credit (kind `card`).
    pub async fn refund(&self, id: Uuid, amount: Amount, key: Idempotency) -> Result<Outcome, Error> {
        if let Some(kept) = self.ledger.kept(&key).await? {
            return Ok(kept);
        }
        let hold = self.authorization(id).await?;
        self.ledger.refund_hold(&Actor::system(), &hold, amount, Some(key)).await
    }

    /// Releases an authorization without posting: 200.
    pub async fn release(&self, id: Uuid) -> Result<Outcome, Error> {
        let hold = self.authorization(id).await?;
        self.ledger.release_hold(&Actor::system(), &hold).await
    }

    /// The hold of a card authorization (404 for any other id).
    async fn authorization(&self, id: Uuid) -> Result<Hold, Error> {
        match self.ledger.hold(id).await? {
            Some(hold) if hold.card_id.is_some() => Ok(hold),
            _ => Err(Problem::not_found("authorization").into()),
        }
    }
}

fn approved(outcome: &Outcome) -> bool {
    serde_json::from_str::<serde_json::Value>(&outcome.body).is_ok_and(|body| body["status"] == "approved")
}

/// A decline, as networks expect it: 201 with the reason.
fn declined(reason: &str) -> Outcome {
    let body = serde_json::json!({"id": Uuid::now_v7(), "status": "declined", "decline_reason": reason});
    Outcome { status: 201, body: body.to_string(), replayed: false }
}
