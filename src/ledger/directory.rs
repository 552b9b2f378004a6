//! What never changes about an account once it is opened — its id, owner, number and currency —
//! kept in memory, so moving money does not ask the database on every request who owns the
//! source, which account a number names, or which account is the cash account. Anything that
//! can change (balance, status) is still read and decided inside the actor's transaction.
//!
//! Only found accounts are remembered (a number that names nothing today may name a new account
//! tomorrow). Accounts are never deleted and never change hands, so an entry never goes stale;
//! the maps are bounded by dropping everything when they reach `CAPACITY`.

use dashmap::DashMap;
use uuid::Uuid;

use super::account::Account;
use super::money::Currency;
use super::number::AccountNumber;
use super::store::accounts;
use crate::db::Db;

/// Entries per map before it is emptied (about 100 bytes each).
const CAPACITY: usize = 200_000;

#[derive(Clone, Debug)]
pub struct Facts {
    pub id: Uuid,
    pub owner: Option<Uuid>,
    pub number: AccountNumber,
    pub currency: Currency,
}

impl From<&Account> for Facts {
    fn from(account: &Account) -> Self {
        Self { id: account.id, owner: account.user_id, number: account.number.clone(), currency: account.currency }
    }
}

#[derive(Default)]
pub struct Directory {
    by_id: DashMap<Uuid, Facts>,
    by_number: DashMap<String, Facts>,
    cash: DashMap<Currency, Uuid>,
}

impl Directory {
    /// `user_id`'s account `id`; `None` when it does not exist or belongs to someone else.
    pub async fn owned(&self, db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Facts>, sqlx::Error> {
        if let Some(facts) = self.by_id.get(&id) {
            return Ok((facts.owner == Some(user_id)).then(|| facts.clone()));
        }
        let Some(account) = accounts::owned(db.reader(), user_id, id).await? else { return Ok(None) };
        Ok(Some(self.remember(&account)))
    }

    /// The customer account numbered `number`, if any.
    pub async fn by_number(&self, db: &Db, number: &AccountNumber) -> Result<Option<Facts>, sqlx::Error> {
        if let Some(facts) = self.by_number.get(number.as_str()) {
            return Ok(Some(facts.clone()));
        }
        let Some(account) = accounts::by_number(db.reader(), number).await? else { return Ok(None) };
        Ok(Some(self.remember(&account)))
    }

    /// The system cash account of `currency` (created on first use).
    pub async fn cash(&self, db: &Db, currency: Currency) -> Result<Uuid, sqlx::Error> {
        if let Some(id) = self.cash.get(&currency) {
            return Ok(*id);
        }
        let id = match accounts::cash(db.reader(), currency).await? {
            Some(id) => id,
            None => {
                accounts::create_cash(db.writer(), currency).await?;
                accounts::cash(db.writer(), currency).await?.ok_or(sqlx::Error::RowNotFound)?
            }
        };
        self.cash.insert(currency, id);
        Ok(id)
    }

    /// An account this process just opened (so its first transfer does not ask again).
    pub fn opened(&self, account: &Account) {
        self.remember(account);
    }

    fn remember(&self, account: &Account) -> Facts {
        let facts = Facts::from(account);
        if self.by_id.len() >= CAPACITY || self.by_number.len() >= CAPACITY {
            self.by_id.clear();
            self.by_number.clear();
        }
        self.by_id.insert(facts.id, facts.clone());
        self.by_number.insert(facts.number.as_str().to_owned(), facts.clone());
        facts
    }
}
