//! Reversals: the compensating entry of an earlier transaction, posted by the actor of the
//! account the money goes back out of — fenced, batched and committed like every movement, and
//! linked to its original in the same transaction (`reversals`, unique per original).
//!
//! Reversing a transfer A → B moves the amount from B back to A (B's actor: B must still hold
//! it, or the answer is `insufficient-funds`); a deposit to A is reversed by taking the amount
//! out of A to cash; a withdrawal from A by paying it back into A from cash.

use serde::Serialize;
use uuid::Uuid;

use super::Ledger;
use crate::audit::Actor;
use crate::db::decode;
use crate::error::{Error, Kind, Problem};
use crate::ledger::command::{Approval, Command, Movement, Outcome, Reverses};
use crate::ledger::money::{Amount, Currency};
use crate::ledger::problems::{conflict, unprocessable};
use crate::ledger::store::desk::{self, LegRow};

/// A transaction that may be reversed, and how.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Original {
    pub id: Uuid,
    pub reference: String,
    pub amount: i64,
    pub currency: Currency,
    /// The customer account the reversal takes the money back out of (or pays it into, for a
    /// withdrawal).
    pub account_id: Uuid,
    #[serde(skip)]
    movement: Movement,
    #[serde(skip)]
    counter_account: Uuid,
    #[serde(skip)]
    counter_number: Option<String>,
}

/// The four-eyes decision a reversal carries: the request is marked approved by the same
/// transaction that posts the entry.
#[derive(Clone, Debug)]
pub struct ReversalDecision {
    pub approval: Uuid,
    pub decided_by: Uuid,
    pub note: Option<String>,
}

impl Ledger {
    /// The transaction `id` if it may be reversed: 404 when there is none, 422
    /// `reversal-not-reversible` for a reversal, 409 `already-reversed`.
    pub async fn reversible(&self, id: Uuid) -> Result<Original, Error> {
        let legs = desk::legs(self.db.reader(), id).await?;
        let (Some(debited), Some(credited)) = (legs.first(), legs.last()) else {
            return Err(Problem::not_found("transaction").into());
        };
        if debited.reverses.is_some() {
            return Err(unprocessable(
                "reversal-not-reversible",
                format!("transaction {} is itself a reversal; post a new transaction instead", debited.reference),
            )
            .into());
        }
        if let Some(by) = &debited.reversed_by {
            return Err(conflict(
                "already-reversed",
                format!("transaction {} was reversed by {by}", debited.reference),
            )
            .into());
        }
        original(debited, credited)
    }

    /// Posts the reversal of `id` (checked with [`Ledger::reversible`] first). Answers the
    /// reversal as the account it moves sees it (the JSON of a transaction), or the refusal:
    /// `insufficient-funds`, `already-reversed`, `approval-decided`, `account-closed`.
    pub async fn reverse(&self, actor: &Actor, id: Uuid, decision: Option<ReversalDecision>) -> Result<String, Error> {
        let original = self.reversible(id).await?;
        let approval = decision.map(|d| Approval { id: d.approval, decided_by: d.decided_by, note: d.note });
        let command = Command {
            movement: original.movement,
            amount: Amount::new(original.amount).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?,
            currency: original.currency,
            counter_account: original.counter_account,
            counter_number: original.counter_number.clone(),
            description: Some(format!("reversal of {}", original.reference)),
            initiated_by: actor.user_id.unwrap_or(Uuid::nil()),
            idempotency: None,
            actor: actor.clone(),
            reverses: Some(Reverses { original: original.id, approval }),
            hold: None,
        };
        let outcome = self.execute(original.account_id, command).await?;
        if outcome.status == 201 { Ok(outcome.body) } else { Err(refusal(&outcome).into()) }
    }
}

fn original(debited: &LegRow, credited: &LegRow) -> Result<Original, Error> {
    let id = decode::uuid(&debited.entry_id)?;
    let amount = credited.amount;
    let currency: Currency = debited.currency.parse().map_err(|e: String| Error::Internal(anyhow::anyhow!(e)))?;
    let (from, to) = (decode::uuid(&debited.account_id)?, decode::uuid(&credited.account_id)?);
    let (account_id, movement, counter_account, counter_number) = match (debited.is_system, credited.is_system) {
        // A transfer: the money goes back from the credited account to the debited one.
        (0, 0) => (to, Movement::Transfer, from, Some(debited.number.clone())),
        // A deposit (cash → account): taken back out to cash.
        (_, 0) => (to, Movement::Withdrawal, from, None),
        // A withdrawal (account → cash): paid back in from cash.
        _ => (from, Movement::Deposit, to, None),
    };
    Ok(Original {
        id,
        reference: debited.reference.clone(),
        amount,
        currency,
        account_id,
        movement,
        counter_account,
        counter_number,
    })
}

/// The problem a refused command was answered with.
fn refusal(outcome: &Outcome) -> Problem {
    let body: serde_json::Value = serde_json::from_str(&outcome.body).unwrap_or_default();
    let slug = body["type"].as_str().unwrap_or("/problems/unprocessable").trim_start_matches("/problems/");
    let detail = body["detail"].as_str().unwrap_or("the reversal was refused");
    let kind = match outcome.status {
        409 => Kind::Conflict,
        403 => Kind::Forbidden,
        404 => Kind::NotFound,
        _ => Kind::Unprocessable,
    };
    Problem::new(kind, slug, detail)
}
