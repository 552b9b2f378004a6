//! Moving money: deposits, withdrawals and transfers become commands for the account's actor
//! (or, with `[ledger] engine = "locked"`, one row-locking transaction each).

use std::sync::Arc;

use actix::MailboxError;
use tresor_actors::Execute;
use uuid::Uuid;

use super::{Caller, Ledger, MoneyRequest};
use crate::authz::Enrollment;
use crate::config::LedgerEngine;
use crate::error::Error;
use crate::ledger::command::{Command, Idempotency, LedgerError, Movement, Outcome};
use crate::ledger::directory::Facts;
use crate::ledger::number::AccountNumber;
use crate::ledger::{problems, store};

impl Ledger {
    pub async fn deposit(
        &self,
        caller: &Caller,
        account: Uuid,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        self.cash_movement(caller, account, Movement::Deposit, request, key).await
    }

    pub async fn withdraw(
        &self,
        caller: &Caller,
        account: Uuid,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        self.cash_movement(caller, account, Movement::Withdrawal, request, key).await
    }

    async fn cash_movement(
        &self,
        caller: &Caller,
        account: Uuid,
        movement: Movement,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        let owned = self.owned_facts(caller, account).await?;
        let cash = self.directory.cash(&self.db, owned.currency).await?;
        let command = Command {
            movement,
            amount: request.amount,
            currency: owned.currency,
            counter_account: cash,
            counter_number: None,
            description: request.description,
            initiated_by: caller.user_id,
            idempotency: key,
            actor: caller.actor.clone(),
            reverses: None,
            hold: None,
        };
        self.execute(account, command).await
    }

    /// Moves `amount` from the caller's `from` account to the account numbered `to`.
    pub async fn transfer(
        &self,
        caller: &Caller,
        from: Uuid,
        to: &str,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, Error> {
        let source = self.owned_facts(caller, from).await?;
        // A repeated key gets its saved response even when the request would now be refused
        // before reaching the actor (e.g. the session no longer passes step-up); a fresh key
        // goes straight to the actor, whose transaction finds any saved response itself.
        match self.transfer_command(caller, &source, to, request, key.clone()).await {
            Ok(command) => self.execute(source.id, command).await,
            Err(error) => self.replay(key.as_ref()).await?.ok_or(error),
        }
    }

    /// Checks a transfer as `POST /v1/transfers` does before the account's actor — the source is
    /// the caller's, the destination exists in its currency and is another account, step-up
    /// above the threshold — without moving money (a schedule, at creation). Answers the
    /// source's currency.
    pub async fn vet_transfer(
        &self,
        caller: &Caller,
        from: Uuid,
        to: &str,
        amount: crate::ledger::money::Amount,
    ) -> Result<crate::ledger::money::Currency, Error> {
        let source = self.owned_facts(caller, from).await?;
        let request = MoneyRequest { amount, description: None };
        self.transfer_command(caller, &source, to, request, None).await?;
        Ok(source.currency)
    }

    async fn transfer_command(
        &self,
        caller: &Caller,
        source: &Facts,
        to: &str,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Command, Error> {
        let number: AccountNumber =
            to.parse().map_err(|e: &str| unprocessable("invalid-account-number", format!("to_account_number: {e}")))?;
        let destination = self
            .directory
            .by_number(&self.db, &number)
            .await?
            .ok_or_else(|| unprocessable("account-not-found", format!("no account has the number {number}")))?;
        if destination.id == source.id {
            return Err(unprocessable("same-account", "an account cannot transfer to itself".into()));
        }
        if destination.currency != source.currency {
            return Err(unprocessable(
                "currency-mismatch",
                format!(
                    "the source account holds {} but the destination holds {}",
                    source.currency, destination.currency
                ),
            ));
        }
        // The one place that decides whether a transfer needs step-up; the rule is asked only then.
        if request.amount.minor_units() > self.settings.step_up_threshold
            && !self.step_up.passed(caller.session_id, Enrollment::Required).await?
        {
            return Err(problems::forbidden(
                "mfa-step-up-required",
                format!(
                    "transfers above {} need a session that passed MFA: sign in with your second factor and retry",
                    self.settings.step_up_threshold
                ),
            )
            .into());
        }
        Ok(Command {
            movement: Movement::Transfer,
            amount: request.amount,
            currency: source.currency,
            counter_account: destination.id,
            counter_number: Some(destination.number.to_string()),
            description: request.description,
            initiated_by: caller.user_id,
            idempotency: key,
            actor: caller.actor.clone(),
            reverses: None,
            hold: None,
        })
    }

    /// The saved response of a repeated key, if there is one (the same lookup and rule the
    /// committing transaction applies).
    pub(super) async fn replay(&self, key: Option<&Idempotency>) -> Result<Option<Outcome>, Error> {
        let Some(key) = key else { return Ok(None) };
        let mut saved = store::idempotency::saved(self.db.reader(), &[key.scope.as_str()]).await?;
        match saved.remove(&key.scope) {
            None => Ok(None),
            Some(saved) => Ok(Some(saved.answer(key)?)),
        }
    }

    pub(super) async fn execute(&self, account: Uuid, command: Command) -> Result<Outcome, Error> {
        if self.settings.engine == LedgerEngine::Locked {
            return self.store.commit_locked(account, command).await.map_err(ledger_error);
        }
        // An actor that stopped (idle, or crashed) between lookup and send refuses the message
        // unprocessed: the next lookup starts a fresh one.
        for _ in 0..3 {
            match self.registry.get(&account).send(Execute(command.clone())).await {
                Ok(result) => return result.map_err(ledger_error),
                Err(MailboxError::Closed) => continue,
                Err(MailboxError::Timeout) => break,
            }
        }
        Err(crate::error::unavailable("the account is busy; retry with the same Idempotency-Key").into())
    }
}

fn unprocessable(slug: &str, detail: String) -> Error {
    problems::unprocessable(slug, detail).into()
}

fn ledger_error(error: LedgerError) -> Error {
    match error {
        LedgerError::ActorGone | LedgerError::Contended => {
            crate::error::unavailable("the account is busy; retry with the same Idempotency-Key").into()
        }
        LedgerError::Database(error) => match Arc::try_unwrap(error) {
            Ok(error) => error.into(),
            Err(shared) if crate::error::is_connectivity(&shared) => {
                tracing::warn!(error = %shared, "database unavailable");
                crate::error::unavailable("the database is busy or unavailable; try again shortly").into()
            }
            Err(shared) => Error::Internal(anyhow::anyhow!("ledger database error: {shared}")),
        },
    }
}
