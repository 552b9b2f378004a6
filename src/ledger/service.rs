//! The ledger's entry points for handlers: ownership and input checks at the edge, then the
//! account's actor for anything that moves money.

use std::sync::Arc;
use std::time::Duration;

use actix::MailboxError;
use tresor_actors::{AccountActor, Execute, Registry, Shards, Tuning};
use uuid::Uuid;

use super::account::{Account, AccountKind};
use super::command::{Command, Idempotency, LedgerError, Movement, Outcome};
use super::commit::LedgerStore;
use super::directory::{Directory, Facts};
use super::history::{self, Page};
use super::money::{Amount, Currency};
use super::number::AccountNumber;
use super::problems;
use super::store;
use super::transaction::Transaction;
use crate::audit::Actor;
use crate::authz::{Enrollment, StepUpRule};
use crate::config::{LedgerEngine, LedgerSettings};
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::{ApiError, Problem};

/// Who is asking, as established by authentication.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    /// The signed-in session: transfers above `[ledger] step_up_threshold` ask the step-up rule
    /// whether it passed MFA recently.
    pub session_id: Uuid,
    pub actor: Actor,
}

pub struct Ledger {
    db: Db,
    settings: LedgerSettings,
    store: LedgerStore,
    directory: Directory,
    registry: Registry<Uuid, AccountActor<LedgerStore>>,
    step_up: Arc<StepUpRule>,
}

/// A request to move money in or out of one account.
pub struct MoneyRequest {
    pub amount: Amount,
    pub description: Option<String>,
}

impl Ledger {
    /// Starts the actor shards (one arbiter per core). Call inside the actix System.
    pub fn start(db: Db, settings: LedgerSettings, keys: Arc<Keys>, step_up: Arc<StepUpRule>) -> Self {
        let store = LedgerStore::combined(db.clone(), settings.clone(), keys);
        let tuning = Tuning {
            max_batch: settings.group_commit_max,
            idle_timeout: Duration::from_secs(settings.actor_idle_secs),
        };
        let actors = store.clone();
        let registry =
            Registry::new(Arc::new(Shards::per_core()), move |id| AccountActor::new(*id, actors.clone(), tuning));
        Self { db, settings, store, directory: Directory::default(), registry, step_up }
    }

    pub fn settings(&self) -> &LedgerSettings {
        &self.settings
    }

    pub fn live_actors(&self) -> usize {
        self.registry.live()
    }

    /// The caller's account, or 404 — also when it exists but is someone else's.
    pub async fn owned(&self, caller: &Caller, id: Uuid) -> Result<Account, ApiError> {
        store::accounts::owned(self.db.reader(), caller.user_id, id)
            .await?
            .ok_or_else(|| Problem::not_found("account").into())
    }

    /// The caller's accounts, oldest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Account>, ApiError> {
        Ok(store::accounts::list_owned(self.db.reader(), caller.user_id).await?)
    }

    /// A page of the caller's account's transactions, newest first (404 when not theirs).
    pub async fn history(&self, caller: &Caller, id: Uuid, limit: u32, cursor: Option<i64>) -> Result<Page, ApiError> {
        let account = self.owned(caller, id).await?;
        Ok(history::page(&self.db, account.id, limit, cursor).await?)
    }

    /// One transaction of the caller's account (404 when the account or the transaction is not
    /// theirs).
    pub async fn transaction(&self, caller: &Caller, id: Uuid, entry: Uuid) -> Result<Transaction, ApiError> {
        let account = self.owned(caller, id).await?;
        history::one(&self.db, account.id, entry).await?.ok_or_else(|| Problem::not_found("transaction").into())
    }

    /// Opens an account for a customer: only after an approved identity check (403
    /// `kyc-required`), read from the database so an approval counts at once.
    pub async fn open_for_customer(
        &self,
        caller: &Caller,
        kind: AccountKind,
        currency: Currency,
    ) -> Result<Account, ApiError> {
        if !store::accounts::kyc_approved(self.db.reader(), caller.user_id).await? {
            return Err(problems::forbidden(
                "kyc-required",
                "opening an account needs an approved identity check: upload an identity document and submit KYC"
                    .into(),
            )
            .into());
        }
        self.open(caller, kind, currency).await
    }

    /// Opens an account, with no identity check (the back office, and tests).
    pub async fn open(&self, caller: &Caller, kind: AccountKind, currency: Currency) -> Result<Account, ApiError> {
        let mut tx = self.db.begin().await?;
        let account = store::accounts::open(&mut tx, &caller.actor, caller.user_id, kind, currency).await?;
        tx.commit().await?;
        self.directory.opened(&account);
        Ok(account)
    }

    pub async fn deposit(
        &self,
        caller: &Caller,
        account: Uuid,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, ApiError> {
        self.cash_movement(caller, account, Movement::Deposit, request, key).await
    }

    pub async fn withdraw(
        &self,
        caller: &Caller,
        account: Uuid,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, ApiError> {
        self.cash_movement(caller, account, Movement::Withdrawal, request, key).await
    }

    async fn cash_movement(
        &self,
        caller: &Caller,
        account: Uuid,
        movement: Movement,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Outcome, ApiError> {
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
    ) -> Result<Outcome, ApiError> {
        let source = self.owned_facts(caller, from).await?;
        // A repeated key gets its saved response even when the request would now be refused
        // before reaching the actor (e.g. the session no longer passes step-up); a fresh key
        // goes straight to the actor, whose transaction finds any saved response itself.
        match self.transfer_command(caller, &source, to, request, key.clone()).await {
            Ok(command) => self.execute(source.id, command).await,
            Err(error) => self.replay(key.as_ref()).await?.ok_or(error),
        }
    }

    async fn transfer_command(
        &self,
        caller: &Caller,
        source: &Facts,
        to: &str,
        request: MoneyRequest,
        key: Option<Idempotency>,
    ) -> Result<Command, ApiError> {
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
        })
    }

    /// The caller's account's unchanging facts, or 404 — also when it is someone else's.
    async fn owned_facts(&self, caller: &Caller, id: Uuid) -> Result<Facts, ApiError> {
        self.directory.owned(&self.db, caller.user_id, id).await?.ok_or_else(|| Problem::not_found("account").into())
    }

    /// The saved response of a repeated key, if there is one (the same lookup and rule the
    /// committing transaction applies).
    async fn replay(&self, key: Option<&Idempotency>) -> Result<Option<Outcome>, ApiError> {
        let Some(key) = key else { return Ok(None) };
        let mut saved = store::idempotency::saved(self.db.reader(), &[key.scope.as_str()]).await?;
        match saved.remove(&key.scope) {
            None => Ok(None),
            Some(saved) => Ok(Some(saved.answer(key)?)),
        }
    }

    async fn execute(&self, account: Uuid, command: Command) -> Result<Outcome, ApiError> {
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

fn unprocessable(slug: &str, detail: String) -> ApiError {
    problems::unprocessable(slug, detail).into()
}

fn ledger_error(error: LedgerError) -> ApiError {
    match error {
        LedgerError::ActorGone | LedgerError::Contended => {
            crate::error::unavailable("the account is busy; retry with the same Idempotency-Key").into()
        }
        LedgerError::Database(error) => match Arc::try_unwrap(error) {
            Ok(error) => error.into(),
            Err(shared) => ApiError::Internal(anyhow::anyhow!("ledger database error: {shared}")),
        },
    }
}
