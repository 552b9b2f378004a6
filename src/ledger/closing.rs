//! Closing an account for good: a non-zero balance moves to another account of the same owner
//! and currency with the ledger's own write path (fence, postings, staged audit), in the same
//! transaction as the status change, after both rows are locked in id order.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::store::counterparties::Counterparties;

use super::account::AccountStatus;
use super::command::{Command, Movement};
use super::desk::{StaffAccount, busy, closed, status_event};
use super::money::Amount;
use super::number::AccountNumber;
use super::plan::Step;
use super::problems::{conflict, unprocessable};
use super::service::Ledger;
use super::store::{self, desk as store_desk};
use super::write;
use crate::audit::{self, Actor};
use crate::error::{Error, Problem};
use crate::events::{self, EventType, NewEvent};
use crate::reason::Reason;

impl Ledger {
    /// Closes an account for good. A non-zero balance moves to `transfer_to` — an open or frozen
    /// account of the same owner and currency — in the same transaction (422 `balance-not-zero`
    /// without one).
    pub async fn close(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &Reason,
        transfer_to: Option<&AccountNumber>,
    ) -> Result<StaffAccount, Error> {
        let target = match transfer_to {
            None => None,
            Some(number) => Some(self.directory.by_number(&self.db, number).await?.ok_or_else(|| {
                Error::from(unprocessable("account-not-found", format!("no account has the number {number}")))
            })?),
        };
        let mut tx = self.db.begin().await?;
        let mut ids = vec![id];
        ids.extend(target.as_ref().map(|t| t.id));
        store::balances::lock(&mut tx, &ids).await?;
        let (current, version) = store_desk::locked(&mut tx, id).await?.ok_or_else(|| Problem::not_found("account"))?;
        if current.account.status == AccountStatus::Closed {
            return Err(closed().into());
        }
        // Open holds are money promised to a merchant: they must be captured, released or
        // expire first (read under the lock: a hold placed since waits behind it).
        let held = store::holds::held(&mut tx, id).await?;
        if held > 0 {
            return Err(conflict(
                "holds-open",
                format!("{held} of this account is held by open card authorizations: wait until they are captured, released or expire"),
            )
            .into());
        }
        let balance = current.account.balance;
        let mut moved = None;
        if balance > 0 {
            let Some(target) = target else {
                return Err(unprocessable(
                    "balance-not-zero",
                    format!("the account holds {balance}: name transfer_to_account_number, an account of the same owner and currency"),
                )
                .into());
            };
            let (to, _) = store_desk::locked(&mut tx, target.id).await?.ok_or_else(|| Problem::not_found("account"))?;
            check_close_target(&current, &to)?;
            let command = Command {
                movement: Movement::Transfer,
                amount: Amount::new(balance).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?,
                currency: current.account.currency,
                counter_account: to.account.id,
                counter_number: Some(to.account.number.to_string()),
                description: Some(format!("closing balance of account {}", current.account.number)),
                initiated_by: actor.user_id.unwrap_or(Uuid::nil()),
                idempotency: None,
                actor: actor.clone(),
                reverses: None,
                hold: None,
            };
            let snapshot = store::snapshots::load(&mut tx, id, Utc::now().date_naive()).await?;
            let (batch, steps) = (std::slice::from_ref(&command), [Step::Apply]);
            let decided = write::Decided { account: id, snapshot: &snapshot, batch, steps: &steps, flags: &[] };
            // Both accounts have one owner; the balance's move is posted to each feed. No email.
            let mut parties = Counterparties::default();
            for (account, owner) in [(&current.account, current.account.user_id), (&to.account, to.account.user_id)] {
                if let Some(owner) = owner {
                    parties.owners.insert(account.id, owner);
                }
            }
            let outbox = self.store.limits.outbox;
            let written = write::apply(&mut tx, &self.store.keys.encryption, &parties, outbox, &[decided])
                .await
                .map_err(|_| busy())?;
            // The closing move emails nobody: there are no mails to enqueue.
            let Some(Some(written)) = written.0.into_iter().next() else { return Err(busy()) };
            let entry = written.responses.first().and_then(|o| serde_json::from_str::<serde_json::Value>(&o.body).ok());
            moved =
                Some(json!({"to": to.account.number, "amount": balance, "entry_id": entry.map(|e| e["id"].clone())}));
        }
        let version = store_desk::locked(&mut tx, id).await?.map_or(version, |(_, v)| v);
        if !store_desk::set_status(&mut tx, id, version, AccountStatus::Closed).await? {
            return Err(busy());
        }
        let new = json!({"status": "closed", "reason": reason.as_str(), "balance": 0, "moved": moved});
        let mut event = status_event("account.closed", id, current.account.status, new);
        event.old = Some(json!({"status": current.account.status.as_str(), "balance": balance}));
        audit::record(&mut tx, actor, event).await?;
        let data = json!({"account_id": id, "status": "closed"});
        let published = NewEvent::new(EventType::AccountClosed, ("account", id), current.account.user_id, data);
        events::record(&mut tx, published).await?;
        let mail = self.email_owner(&mut tx, &current, AccountStatus::Closed).await?;
        tx.commit().await?;
        self.store.changed(&ids).await;
        self.store.mail_now(mail.into_iter().collect());
        self.any_account(id).await
    }
}

fn check_close_target(from: &StaffAccount, to: &StaffAccount) -> Result<(), Error> {
    if to.account.id == from.account.id {
        return Err(unprocessable("same-account", "an account cannot pass its balance to itself".into()).into());
    }
    if to.account.user_id != from.account.user_id {
        return Err(unprocessable(
            "not-same-owner",
            "transfer_to_account_number must name an account of the same owner".into(),
        )
        .into());
    }
    if to.account.currency != from.account.currency {
        return Err(unprocessable(
            "currency-mismatch",
            format!("the account holds {} but the target holds {}", from.account.currency, to.account.currency),
        )
        .into());
    }
    if to.account.status == AccountStatus::Closed {
        return Err(unprocessable("account-closed", "the target account is closed".into()).into());
    }
    Ok(())
}
