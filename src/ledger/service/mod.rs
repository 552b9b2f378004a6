//! The ledger's entry points for handlers: ownership and input checks at the edge, then the
//! account's actor for anything that moves money (`movements`).

mod holds;
mod movements;
mod reversal;

use std::sync::Arc;
use std::time::Duration;

use tresor_actors::{AccountActor, Registry, Shards, Tuning};
use uuid::Uuid;

use super::account::{Account, AccountKind};
use super::commit::LedgerStore;
use super::directory::{Directory, Facts};
use super::history::{self, Page, Range};
use super::money::{Amount, Currency};
use super::problems;
use super::store;
use super::transaction::Transaction;
use crate::audit::Actor;
use crate::authz::StepUpRule;
use crate::config::LedgerSettings;
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::{Error, Problem};
use crate::read_cache::{Changes, ReadCache};

/// Who is asking, as established by authentication.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    /// The signed-in session: transfers above `[ledger] step_up_threshold` ask the step-up rule
    /// whether it passed MFA recently.
    pub session_id: Uuid,
    pub actor: Actor,
}

pub use holds::{NewHold, not_open};
pub use reversal::{Original, ReversalDecision};

pub struct Ledger {
    pub(in crate::ledger) db: Db,
    settings: LedgerSettings,
    pub(in crate::ledger) store: LedgerStore,
    pub(in crate::ledger) directory: Directory,
    registry: Registry<Uuid, AccountActor<LedgerStore>>,
    step_up: Arc<StepUpRule>,
    /// Each customer's accounts between requests (`crate::read_cache`): every commit announces
    /// the accounts it moved.
    accounts: ReadCache<Vec<Account>>,
}

/// A request to move money in or out of one account.
pub struct MoneyRequest {
    pub amount: Amount,
    pub description: Option<String>,
}

impl Ledger {
    /// Starts the actor shards (one arbiter per core). Call inside the actix System.
    pub fn start(
        db: Db,
        settings: LedgerSettings,
        keys: Arc<Keys>,
        step_up: Arc<StepUpRule>,
        reads: Arc<Changes>,
    ) -> Self {
        Self::start_mailing(db, settings, keys, step_up, reads, None)
    }

    /// [`Ledger::start`], enqueueing the recipients' mails on `mail_queue` as soon as their
    /// transfer commits.
    pub fn start_mailing(
        db: Db,
        settings: LedgerSettings,
        keys: Arc<Keys>,
        step_up: Arc<StepUpRule>,
        reads: Arc<Changes>,
        mail_queue: Option<tresor_jobs::Store>,
    ) -> Self {
        let accounts = ReadCache::new(Arc::clone(&reads));
        let store = LedgerStore::combined(db.clone(), settings.clone(), keys, reads, mail_queue);
        let tuning = Tuning {
            max_batch: settings.group_commit_max,
            idle_timeout: Duration::from_secs(settings.actor_idle_secs),
        };
        let actors = store.clone();
        let registry =
            Registry::new(Arc::new(Shards::per_core()), move |id| AccountActor::new(*id, actors.clone(), tuning));
        Self { db, settings, store, directory: Directory::default(), registry, step_up, accounts }
    }

    pub fn settings(&self) -> &LedgerSettings {
        &self.settings
    }

    pub fn live_actors(&self) -> usize {
        self.registry.live()
    }

    /// The caller's account, or 404 — also when it exists but is someone else's.
    pub async fn owned(&self, caller: &Caller, id: Uuid) -> Result<Account, Error> {
        let accounts = self.accounts_of(caller.user_id).await?;
        accounts.iter().find(|a| a.id == id).cloned().ok_or_else(|| Problem::not_found("account").into())
    }

    /// The caller's accounts, oldest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Account>, Error> {
        Ok(self.accounts_of(caller.user_id).await?.to_vec())
    }

    /// `user_id`'s accounts, kept until one of them (or the user) changes.
    async fn accounts_of(&self, user_id: Uuid) -> Result<Arc<Vec<Account>>, Error> {
        let load = || async {
            let accounts = store::accounts::list_owned(self.db.reader(), user_id).await?;
            let shown = accounts.iter().map(|a| a.id).collect();
            Ok::<_, Error>(Some((accounts, shown)))
        };
        Ok(self.accounts.get(user_id, load).await?.unwrap_or_default())
    }

    /// A page of the caller's account's transactions, newest first (404 when not theirs).
    pub async fn history(
        &self,
        caller: &Caller,
        id: Uuid,
        limit: u32,
        cursor: Option<i64>,
        range: &Range,
    ) -> Result<Page, Error> {
        let account = self.owned(caller, id).await?;
        Ok(history::page(&self.db, account.id, limit, cursor, range).await?)
    }

    /// One transaction of the caller's account (404 when the account or the transaction is not
    /// theirs).
    pub async fn transaction(&self, caller: &Caller, id: Uuid, entry: Uuid) -> Result<Transaction, Error> {
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
    ) -> Result<Account, Error> {
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
    pub async fn open(&self, caller: &Caller, kind: AccountKind, currency: Currency) -> Result<Account, Error> {
        let mut tx = self.db.begin().await?;
        let account = store::accounts::open(&mut tx, &caller.actor, caller.user_id, kind, currency).await?;
        tx.commit().await?;
        self.store.changed(&[caller.user_id]).await;
        self.directory.opened(&account);
        Ok(account)
    }

    /// The caller's account's unchanging facts, or 404 — also when it is someone else's.
    async fn owned_facts(&self, caller: &Caller, id: Uuid) -> Result<Facts, Error> {
        self.directory.owned(&self.db, caller.user_id, id).await?.ok_or_else(|| Problem::not_found("account").into())
    }
}
