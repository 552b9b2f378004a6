//! Accounts for staff: any customer's account found by number or owner email, read with its
//! owner and history, and its status changed — frozen, unfrozen, closed — with a reason,
//! audited (old → new) and the owner emailed, in one transaction (closing: `closing`).
//!
//! A status change takes the account's row lock and bumps its `version`: every account actor
//! (in any process) that cached the account fails its next debit's fence and reads it again,
//! so a freeze counts for the very next debit; a refusal for `account-frozen` made on a cached
//! snapshot is decided again on a fresh read, so an unfreeze counts at once too. Closing with a
//! balance moves it with the ledger's own write path (fence, postings, staged audit) in the
//! same transaction as the status change.

use serde_json::json;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::account::AccountStatus;
use super::history::{self, Page, Range};
use super::problems::{conflict, unprocessable};
use super::service::Ledger;
pub use super::staff_view::{AccountFilter, Owner, StaffAccount};
use super::store::desk as store_desk;
use super::transaction::Transaction;
use crate::audit::{self, Actor, Event};
use crate::error::{Error, Problem};
use crate::events::{self, EventType, NewEvent};
use crate::mail;
use crate::reason::Reason;

/// One account for a staff member's page: the account with its owner and open holds, and a page
/// of its transactions, newest first.
pub struct StaffAccountPage {
    pub account: StaffAccount,
    pub transactions: Page,
}

/// One page of accounts, oldest first.
pub struct AccountPage {
    pub items: Vec<StaffAccount>,
    pub next_cursor: Option<String>,
}

fn read_event(action: &'static str, target: Option<Uuid>, detail: serde_json::Value) -> Event {
    Event { action, target_type: "account", target_id: target.map(|id| id.to_string()), old: None, new: Some(detail) }
}

impl Ledger {
    /// Accounts matching `filter`; the cursor is the id the previous page ended at.
    pub async fn search_accounts(
        &self,
        actor: &Actor,
        filter: &AccountFilter,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<AccountPage, Error> {
        let mut items = store_desk::search(self.db.reader(), filter, cursor, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|a| a.account.id.to_string()) } else { None };
        let detail = json!({"q": filter.q, "user_id": filter.user_id, "status": filter.status, "results": items.len()});
        self.record_read(actor, read_event("admin.accounts.list", None, detail)).await?;
        Ok(AccountPage { items, next_cursor })
    }

    /// Any customer account with its owner (404 when there is none).
    pub async fn staff_account(&self, actor: &Actor, id: Uuid) -> Result<StaffAccount, Error> {
        let mut account = self.any_account(id).await?;
        account.open_holds = Some(super::store::holds::open_of_account(self.db.reader(), id).await?);
        self.record_read(actor, read_event("admin.accounts.read", Some(id), json!({"number": account.account.number})))
            .await?;
        Ok(account)
    }

    /// Any customer account's transactions, newest first, within `range`.
    pub async fn staff_history(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        cursor: Option<i64>,
        range: &Range,
    ) -> Result<Page, Error> {
        self.any_account(id).await?;
        self.recorded_history(actor, id, limit, cursor, range).await
    }

    /// A page of the account `id`'s transactions, the read recorded; the account is known to
    /// exist.
    async fn recorded_history(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        cursor: Option<i64>,
        range: &Range,
    ) -> Result<Page, Error> {
        let page = history::page(&self.db, id, limit, cursor, range).await?;
        let detail = json!({"from": range.from, "until": range.until, "results": page.items.len()});
        self.record_read(actor, read_event("admin.accounts.transactions", Some(id), detail)).await?;
        Ok(page)
    }

    /// The account and one page of all its transactions (the console's account page): one read
    /// of the account, one audit entry for each of the two things read.
    pub async fn staff_account_page(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<StaffAccountPage, Error> {
        let account = self.staff_account(actor, id).await?;
        let transactions = self.recorded_history(actor, id, limit, cursor, &Range::parse(None, None)?).await?;
        Ok(StaffAccountPage { account, transactions })
    }

    /// Freezes an open account: debits are refused (`account-frozen`), credits still land.
    pub async fn freeze(&self, actor: &Actor, id: Uuid, reason: &Reason) -> Result<StaffAccount, Error> {
        self.change_status(actor, id, AccountStatus::Frozen, reason).await
    }

    /// Lifts a freeze.
    pub async fn unfreeze(&self, actor: &Actor, id: Uuid, reason: &Reason) -> Result<StaffAccount, Error> {
        self.change_status(actor, id, AccountStatus::Open, reason).await
    }

    async fn change_status(
        &self,
        actor: &Actor,
        id: Uuid,
        to: AccountStatus,
        reason: &Reason,
    ) -> Result<StaffAccount, Error> {
        let mut tx = self.db.begin().await?;
        let (current, version) = store_desk::locked(&mut tx, id).await?.ok_or_else(|| Problem::not_found("account"))?;
        let from = current.account.status;
        match (from, to) {
            (AccountStatus::Closed, _) => return Err(closed().into()),
            (AccountStatus::Frozen, AccountStatus::Frozen) => {
                return Err(conflict("already-frozen", "the account is frozen already".into()).into());
            }
            (AccountStatus::Open, AccountStatus::Open) => {
                return Err(conflict("not-frozen", "the account is not frozen".into()).into());
            }
            _ => {}
        }
        if !store_desk::set_status(&mut tx, id, version, to).await? {
            return Err(busy());
        }
        let action = if to == AccountStatus::Frozen { "account.frozen" } else { "account.unfrozen" };
        let event = status_event(action, id, from, json!({"status": to.as_str(), "reason": reason.as_str()}));
        audit::record(&mut tx, actor, event).await?;
        let kind = if to == AccountStatus::Frozen { EventType::AccountFrozen } else { EventType::AccountUnfrozen };
        let data = json!({"account_id": id, "status": to.as_str()});
        events::record(&mut tx, NewEvent::new(kind, ("account", id), current.account.user_id, data)).await?;
        let mail = self.email_owner(&mut tx, &current, to).await?;
        tx.commit().await?;
        self.store.changed(&[id]).await;
        self.store.mail_now(mail.into_iter().collect());
        self.any_account(id).await
    }

    /// An account and one of its transactions, unaudited: for a capability that audits the
    /// read it makes of them (a case).
    pub async fn account_and_transaction(
        &self,
        account: Uuid,
        entry: Option<Uuid>,
    ) -> Result<(Option<StaffAccount>, Option<Transaction>), Error> {
        let found = store_desk::one(self.db.reader(), account).await?;
        let transaction = match entry {
            Some(entry) => history::one(&self.db, account, entry).await?,
            None => None,
        };
        Ok((found, transaction))
    }

    pub(super) async fn any_account(&self, id: Uuid) -> Result<StaffAccount, Error> {
        store_desk::one(self.db.reader(), id).await?.ok_or_else(|| Problem::not_found("account").into())
    }

    /// Queues the owner's email about the account's new status; its outbox id, for
    /// [`LedgerStore::mail_now`](super::commit::LedgerStore) once the transaction commits.
    pub(super) async fn email_owner(
        &self,
        conn: &mut sqlx::AnyConnection,
        account: &StaffAccount,
        status: AccountStatus,
    ) -> Result<Option<Uuid>, Error> {
        let Some(Owner { email: Some(to), full_name, .. }) = &account.owner else { return Ok(None) };
        let email = Email {
            to: to.clone(),
            template: Template::AccountStatusChanged,
            data: json!({"account": account.account.number, "status": status.as_str(), "full_name": full_name}),
        };
        Ok(Some(mail::queue(conn, &self.store.keys.encryption, email).await?))
    }

    /// Records a staff read in the audit chain.
    pub(super) async fn record_read(&self, actor: &Actor, event: Event) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) fn status_event(action: &'static str, id: Uuid, from: AccountStatus, new: serde_json::Value) -> Event {
    Event {
        action,
        target_type: "account",
        target_id: Some(id.to_string()),
        old: Some(json!({"status": from.as_str()})),
        new: Some(new),
    }
}

pub(super) fn closed() -> Problem {
    unprocessable("account-closed", "this account is closed".into())
}

pub(super) fn busy() -> Error {
    crate::error::unavailable("the account changed meanwhile; retry").into()
}
