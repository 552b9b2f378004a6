//! Holds: a card authorization reserves money on its account through the account's actor (the
//! plan decides it against the available balance, the database fences it like a debit);
//! capturing posts the purchase and ends the hold, releasing ends it without posting.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Caller, Ledger};
use crate::audit::Actor;
use crate::error::{Error, Problem};
use crate::ledger::command::{Command, HoldOp, Idempotency, Movement, Outcome};
use crate::ledger::hold::{Hold, HoldStatus};
use crate::ledger::money::{Amount, Currency};
use crate::ledger::store;

/// Most holds a list shows (open ones first, then the most recent).
const LIST_LIMIT: i64 = 200;

/// A hold to place on an account for a card.
pub struct NewHold {
    pub account: Uuid,
    /// The account's owner (who the authorization is for).
    pub owner: Uuid,
    pub card: Option<Uuid>,
    /// The card's daily spending limit, checked where the hold is decided.
    pub daily_limit: Option<i64>,
    pub amount: Amount,
    pub currency: Currency,
    pub description: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Ledger {
    /// The caller's account's open and recent holds (404 when the account is not theirs).
    pub async fn holds(&self, caller: &Caller, account: Uuid) -> Result<Vec<Hold>, Error> {
        let account = self.owned(caller, account).await?;
        Ok(store::holds::of_account(self.db.reader(), account.id, LIST_LIMIT).await?)
    }

    /// Releases the open holds whose time is up at `now` (what the expiry job runs); answers
    /// how many ended.
    pub async fn expire_holds(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        crate::ledger::expiry::expire_holds(&self.store, now).await.map_err(Error::Internal)
    }

    /// The response kept under `key`, if the key was used (422 `idempotency-key-reused` when
    /// with another request).
    pub async fn kept(&self, key: &Idempotency) -> Result<Option<Outcome>, Error> {
        self.replay(Some(key)).await
    }

    /// Keeps `outcome` as the answer to `key` (a refusal decided before the account's actor);
    /// when a concurrent request with the key got there first, its answer is the answer.
    pub async fn keep(&self, key: &Idempotency, outcome: Outcome) -> Result<Outcome, Error> {
        let at = crate::db::time::to_db(crate::db::time::now());
        let rows = store::idempotency::rows(&[(key, outcome.clone())], &at);
        let mut tx = self.db.begin().await?;
        match crate::db::insert::execute_all(&mut tx, [rows]).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(outcome)
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
                Ok(self.replay(Some(key)).await?.unwrap_or(outcome))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The currency of any account, by id (`None` when there is no such account).
    pub async fn account_currency(&self, id: Uuid) -> Result<Option<Currency>, Error> {
        Ok(store::desk::one(self.db.reader(), id).await?.map(|a| a.account.currency))
    }

    /// One hold by id, whatever its account (the card network's view).
    pub async fn hold(&self, id: Uuid) -> Result<Option<Hold>, Error> {
        Ok(store::holds::one(self.db.reader(), id).await?)
    }

    /// Places a hold: 201 `approved` with the hold's id, or 201 `declined` naming the reason
    /// (insufficient funds, a frozen or closed account, a limit) — kept under `key`.
    pub async fn place_hold(
        &self,
        actor: &Actor,
        hold: NewHold,
        id: Uuid,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        let cash = self.directory.cash(&self.db, hold.currency).await?;
        let command = Command {
            movement: Movement::Withdrawal,
            amount: hold.amount,
            currency: hold.currency,
            counter_account: cash,
            counter_number: None,
            description: hold.description,
            initiated_by: hold.owner,
            idempotency: key,
            actor: actor.clone(),
            reverses: None,
            hold: Some(HoldOp::Place {
                id,
                card: hold.card,
                daily_limit: hold.daily_limit,
                expires_at: hold.expires_at,
            }),
        };
        self.execute(hold.account, command).await
    }

    /// Captures `amount` (≤ the held amount; the rest is released) of the open hold: 201 the
    /// posted transaction (kind `card`). 409 `hold-not-open` once it has ended.
    pub async fn capture_hold(
        &self,
        actor: &Actor,
        hold: &Hold,
        amount: Amount,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        let op = HoldOp::Capture { id: hold.id, held: hold.amount };
        self.end_hold(actor, hold, amount, op, key).await
    }

    /// Credits back `amount` of what the captured hold took: 201 the posted transaction (kind
    /// `card`, a credit). 422 `refund-exceeds-capture` beyond what was captured less refunded.
    pub async fn refund_hold(
        &self,
        actor: &Actor,
        hold: &Hold,
        amount: Amount,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        let cash = self.directory.cash(&self.db, hold.currency).await?;
        let command = Command {
            movement: Movement::Deposit,
            hold: Some(HoldOp::Refund { id: hold.id }),
            ..hold.end_command(actor, amount, HoldOp::Refund { id: hold.id }, key, cash)
        };
        self.execute(hold.account_id, command).await
    }

    /// Releases the open hold without posting: 200. 409 `hold-not-open` once it has ended.
    pub async fn release_hold(&self, actor: &Actor, hold: &Hold) -> Result<Outcome, Error> {
        let amount = Amount::new(hold.amount).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
        let op = HoldOp::Release { id: hold.id, held: hold.amount, expired: false };
        self.end_hold(actor, hold, amount, op, None).await
    }

    async fn end_hold(
        &self,
        actor: &Actor,
        hold: &Hold,
        amount: Amount,
        op: HoldOp,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        if hold.status != HoldStatus::Open {
            // A repeated capture gets its first answer even though the hold has ended since.
            if let Some(kept) = self.replay(key.as_ref()).await? {
                return Ok(kept);
            }
            return Err(not_open(hold.id));
        }
        let cash = self.directory.cash(&self.db, hold.currency).await?;
        let command = hold.end_command(actor, amount, op, key, cash);
        self.execute(hold.account_id, command).await
    }
}

pub fn not_open(id: Uuid) -> Error {
    Problem::new(
        crate::error::Kind::Conflict,
        "hold-not-open",
        format!("hold {id} is no longer open: it was captured, released or expired"),
    )
    .into()
}
