//! `Cards`: issuing virtual debit cards to customers and managing them (freeze, unfreeze,
//! close, limits).

use std::sync::Arc;

use serde_json::json;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::card::{Card, CardStatus, IssuedCard, SpendingLimit, expiry_of};
use super::pan::Pan;
use super::{secrets, store};
use crate::audit::{self, Event};
use crate::config::{CardSettings, HoldSettings};
use crate::crypto::Keys;
use crate::db::{Db, time};
use crate::error::{Error, Kind, Problem};
use crate::events::{self, EventType, NewEvent};
use crate::ledger::account::AccountStatus;
use crate::ledger::service::{Caller, Ledger};
use crate::mail;

/// Numbers drawn before giving up on a unique one (a collision is ~1 in 10^9 per card).
const DRAWS: usize = 5;

pub struct Cards {
    pub(super) db: Db,
    pub(super) keys: Arc<Keys>,
    pub(super) ledger: Arc<Ledger>,
    pub(super) settings: CardSettings,
    pub(super) holds: HoldSettings,
    pub(super) jobs: tresor_jobs::Store,
}

impl Cards {
    pub fn new(
        db: Db,
        keys: Arc<Keys>,
        ledger: Arc<Ledger>,
        settings: CardSettings,
        holds: HoldSettings,
        jobs: tresor_jobs::Store,
    ) -> Self {
        Self { db, keys, ledger, settings, holds, jobs }
    }

    /// Issues a card on one of the caller's open accounts: the response is the only place its
    /// number and code ever appear.
    pub async fn issue(&self, caller: &Caller, account: Uuid, limit: SpendingLimit) -> Result<IssuedCard, Error> {
        let account = self.ledger.owned(caller, account).await?;
        if account.status != AccountStatus::Open {
            return Err(Problem::new(
                Kind::Unprocessable,
                &format!("account-{}", account.status.as_str()),
                format!("cards are issued on open accounts; this one is {}", account.status.as_str()),
            )
            .into());
        }
        check_limit(&limit)?;
        let now = time::now();
        let (expiry_month, expiry_year) = expiry_of(now, self.settings.valid_years);
        let mut tx = self.db.begin().await?;
        for _ in 0..DRAWS {
            let pan = Pan::generate(&self.settings.bin);
            if store::index_taken(&mut tx, &secrets::pan_index_candidates(&self.keys.mac, &pan)).await? {
                continue;
            }
            let card = Card {
                id: Uuid::now_v7(),
                account_id: account.id,
                last4: pan.last4(),
                expiry_month,
                expiry_year,
                status: CardStatus::Active,
                spending_limit: limit,
                created_at: now,
                user_id: caller.user_id,
            };
            let (cvv_key_id, _) = self.keys.mac.active();
            let cvv_key_id = cvv_key_id.to_owned();
            let index = secrets::pan_index(&self.keys.mac, &pan).ok_or_else(|| internal("no MAC key"))?;
            let sealed = secrets::seal_pan(&self.keys.encryption, &card.id.to_string(), &pan);
            let new = store::NewCard { card: &card, pan_sealed: &sealed, pan_index: &index, cvv_key_id: &cvv_key_id };
            if !store::insert(&mut tx, &new).await? {
                continue;
            }
            let cvv = secrets::cvv(&self.keys.mac, &cvv_key_id, &pan, expiry_month, expiry_year)
                .ok_or_else(|| internal("no MAC key"))?;
            let event = card_event("card.issued", &card, None);
            audit::record(&mut tx, &caller.actor, event).await?;
            events::record(&mut tx, published(EventType::CardCreated, &card, card.status)).await?;
            let mut mails = None;
            if let Some((to, full_name)) = store::owner_contact(&mut tx, caller.user_id).await? {
                let data = json!({"last4": card.last4, "account": account.number, "full_name": full_name});
                let email = Email { to, template: Template::CardIssued, data };
                mails = Some(mail::send(&mut tx, &self.keys.encryption, &self.jobs, email).await?.1);
            }
            tx.commit().await?;
            if let Some(deferred) = mails {
                deferred.after_commit(&self.jobs).await;
            }
            return Ok(IssuedCard { pan: pan.as_str().to_owned(), cvv, card });
        }
        Err(internal("no unique card number after several draws"))
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<Card>, Error> {
        Ok(store::list_owned(self.db.reader(), caller.user_id).await?)
    }

    /// The caller's card, or 404 — also when it is someone else's.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<Card, Error> {
        store::owned(self.db.reader(), caller.user_id, id).await?.ok_or_else(|| Problem::not_found("card").into())
    }

    /// Freezes the caller's active card: its authorizations are declined `card-frozen`.
    pub async fn freeze(&self, caller: &Caller, id: Uuid) -> Result<Card, Error> {
        self.change(caller, id, CardStatus::Active, CardStatus::Frozen, "card.frozen").await
    }

    pub async fn unfreeze(&self, caller: &Caller, id: Uuid) -> Result<Card, Error> {
        self.change(caller, id, CardStatus::Frozen, CardStatus::Active, "card.unfrozen").await
    }

    /// Closes the caller's card for good (an active or frozen one).
    pub async fn close(&self, caller: &Caller, id: Uuid) -> Result<(), Error> {
        let card = self.get(caller, id).await?;
        if card.status == CardStatus::Closed {
            return Ok(());
        }
        self.change(caller, id, card.status, CardStatus::Closed, "card.closed").await.map(|_| ())
    }

    async fn change(
        &self,
        caller: &Caller,
        id: Uuid,
        from: CardStatus,
        to: CardStatus,
        action: &'static str,
    ) -> Result<Card, Error> {
        let card = self.get(caller, id).await?;
        if card.status == to {
            return Ok(card);
        }
        if card.status != from {
            return Err(Problem::new(
                Kind::Conflict,
                "card-status",
                format!("the card is {}: it cannot become {}", card.status.as_str(), to.as_str()),
            )
            .into());
        }
        let mut tx = self.db.begin().await?;
        if !store::set_status(&mut tx, id, from, to).await? {
            return Err(
                Problem::new(Kind::Conflict, "card-status", "the card changed meanwhile; read it and retry").into()
            );
        }
        audit::record(&mut tx, &caller.actor, card_event(action, &card, Some(to))).await?;
        if to == CardStatus::Frozen {
            events::record(&mut tx, published(EventType::CardFrozen, &card, to)).await?;
        }
        tx.commit().await?;
        Ok(Card { status: to, ..card })
    }
}

fn check_limit(limit: &SpendingLimit) -> Result<(), Error> {
    for (name, value) in [("per_transaction", limit.per_transaction), ("daily", limit.daily)] {
        if value.is_some_and(|v| v <= 0) {
            return Err(Problem::bad_request(format!(
                "spending_limit.{name} must be a positive amount in minor units"
            ))
            .into());
        }
    }
    Ok(())
}

/// A `card.*` event: ids and status only (never the number, not even its last digits).
fn published(kind: EventType, card: &Card, status: CardStatus) -> NewEvent {
    let data = serde_json::json!({"card_id": card.id, "account_id": card.account_id, "status": status.as_str()});
    NewEvent::new(kind, ("card", card.id), Some(card.user_id), data)
}

fn card_event(action: &'static str, card: &Card, status: Option<CardStatus>) -> Event {
    Event {
        action,
        target_type: "card",
        target_id: Some(card.id.to_string()),
        old: status.map(|_| serde_json::json!({"status": card.status.as_str()})),
        new: Some(serde_json::json!({
            "account_id": card.account_id,
            "last4": card.last4,
            "status": status.unwrap_or(card.status).as_str(),
        })),
    }
}

pub(super) fn internal(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("cards: {what}"))
}
