//! [`Approvals`]: asking for a reversal or an MFA reset, listing requests, and deciding them.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::{ApprovalKind, ApprovalRequest, ApprovalStatus, store};
use crate::audit::{self, Actor, Event};
use crate::business_metrics::APPROVALS_DECIDED;
use crate::config::ApprovalSettings;
use crate::db::Db;
use crate::error::{Error, Kind, Problem};
use crate::ledger::service::{Ledger, ReversalDecision};
use crate::mfa::Mfa;
use crate::reason::Reason;

/// What asking for a reversal did: it posted at once (at or below `[approvals] reverse_above`),
/// or it waits for a second person.
pub enum ReversalRequested {
    /// The reversal as its account sees it (a transaction's JSON).
    Posted(String),
    Pending(ApprovalRequest),
}

pub struct Approvals {
    db: Db,
    ledger: Arc<Ledger>,
    mfa: Arc<Mfa>,
    settings: ApprovalSettings,
}

fn event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> Event {
    Event { action, target_type: "approval_request", target_id: Some(id.to_string()), old, new: Some(new) }
}

fn staff_id(actor: &Actor) -> Result<Uuid, Error> {
    actor.user_id.ok_or_else(|| Error::Internal(anyhow::anyhow!("an approval needs a staff member as actor")))
}

impl Approvals {
    pub fn new(db: Db, ledger: Arc<Ledger>, mfa: Arc<Mfa>, settings: ApprovalSettings) -> Self {
        Self { db, ledger, mfa, settings }
    }

    /// Asks for the reversal of transaction `id` (404 unknown, 409 `already-reversed`, 422
    /// `reversal-not-reversible`, 409 `approval-pending` when one is asked for already).
    pub async fn request_reversal(&self, actor: &Actor, id: Uuid, reason: &Reason) -> Result<ReversalRequested, Error> {
        let requester = staff_id(actor)?;
        let original = self.ledger.reversible(id).await?;
        if original.amount <= self.settings.reverse_above {
            self.record(actor, event_for_transaction("transaction.reversal_requested", id, reason, None)).await?;
            return Ok(ReversalRequested::Posted(self.ledger.reverse(actor, id, None).await?));
        }
        let request = self.open(actor, ApprovalKind::Reversal, id, requester, reason).await?;
        Ok(ReversalRequested::Pending(request))
    }

    /// Requests still pending (for the metrics).
    pub async fn pending(&self) -> Result<i64, Error> {
        Ok(store::pending_count(self.db.reader()).await?)
    }

    /// Asks for the reset of user `id`'s MFA (404 unknown user; always four eyes).
    pub async fn request_mfa_reset(&self, actor: &Actor, id: Uuid, reason: &Reason) -> Result<ApprovalRequest, Error> {
        let requester = staff_id(actor)?;
        self.mfa_user_exists(id).await?;
        self.open(actor, ApprovalKind::MfaReset, id, requester, reason).await
    }

    /// Requests newest first, optionally of one status; the cursor is the last id.
    pub async fn list(
        &self,
        actor: &Actor,
        status: Option<ApprovalStatus>,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<(Vec<ApprovalRequest>, Option<String>), Error> {
        let mut items = store::page(self.db.reader(), status, cursor, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = if more { items.last().map(|r| r.id.to_string()) } else { None };
        let detail = json!({"status": status, "results": items.len()});
        let read = Event {
            action: "admin.approvals.list",
            target_type: "approval_request",
            target_id: None,
            old: None,
            new: Some(detail),
        };
        self.record(actor, read).await?;
        Ok((items, next))
    }

    /// Approves request `id` and runs its action in the same transaction: 403 `same-approver`
    /// for the requester, 409 `approval-decided`; a reversal's refusal (`insufficient-funds`,
    /// `account-closed`) leaves the request pending.
    pub async fn approve(&self, actor: &Actor, id: Uuid, note: Option<&Reason>) -> Result<ApprovalRequest, Error> {
        let decider = staff_id(actor)?;
        let request = self.decidable(id, decider).await?;
        let note = note.map(|n| n.as_str().to_owned());
        match request.kind {
            ApprovalKind::Reversal => {
                let decision = ReversalDecision { approval: id, decided_by: decider, note };
                self.ledger.reverse(actor, request.target, Some(decision)).await?;
            }
            ApprovalKind::MfaReset => {
                let mut tx = self.db.begin().await?;
                if !store::decide(&mut tx, id, ApprovalStatus::Approved, decider, note.as_deref()).await? {
                    return Err(decided(id).into());
                }
                let new = json!({"status": "approved", "decided_by": decider, "note": note});
                audit::record(&mut tx, actor, event("approval.approved", id, Some(json!({"status": "pending"})), new))
                    .await?;
                let done = self.mfa.reset_in(&mut tx, actor, request.target).await?;
                tx.commit().await?;
                self.mfa.after_reset(done).await?;
            }
        }
        metrics::counter!(APPROVALS_DECIDED, "kind" => request.kind.as_str(), "decision" => "approved").increment(1);
        self.get(id).await
    }

    /// Rejects request `id` (403 `same-approver`, 409 `approval-decided`).
    pub async fn reject(&self, actor: &Actor, id: Uuid, note: Option<&Reason>) -> Result<ApprovalRequest, Error> {
        let decider = staff_id(actor)?;
        let request = self.decidable(id, decider).await?;
        let note = note.map(Reason::as_str);
        let mut tx = self.db.begin().await?;
        if !store::decide(&mut tx, id, ApprovalStatus::Rejected, decider, note).await? {
            return Err(decided(id).into());
        }
        let new = json!({"status": "rejected", "decided_by": decider, "note": note});
        audit::record(&mut tx, actor, event("approval.rejected", id, Some(json!({"status": "pending"})), new)).await?;
        tx.commit().await?;
        metrics::counter!(APPROVALS_DECIDED, "kind" => request.kind.as_str(), "decision" => "rejected").increment(1);
        self.get(id).await
    }

    /// The request if `decider` may decide it now.
    async fn decidable(&self, id: Uuid, decider: Uuid) -> Result<ApprovalRequest, Error> {
        let request = self.get(id).await?;
        if request.requested_by == decider {
            return Err(Problem::new(
                Kind::Forbidden,
                "same-approver",
                "the staff member who asked for an action cannot decide it: another must",
            )
            .into());
        }
        if request.status != ApprovalStatus::Pending {
            return Err(decided(id).into());
        }
        Ok(request)
    }

    async fn get(&self, id: Uuid) -> Result<ApprovalRequest, Error> {
        store::get(self.db.reader(), id).await?.ok_or_else(|| Problem::not_found("approval request").into())
    }

    async fn open(
        &self,
        actor: &Actor,
        kind: ApprovalKind,
        target: Uuid,
        requester: Uuid,
        reason: &Reason,
    ) -> Result<ApprovalRequest, Error> {
        let mut tx = self.db.begin().await?;
        let request = store::insert(&mut tx, kind, target, requester, reason.as_str()).await?.ok_or_else(|| {
            Problem::new(
                Kind::Conflict,
                "approval-pending",
                format!("a {} of {target} is awaiting approval already", kind.as_str()),
            )
        })?;
        let new = json!({"kind": kind.as_str(), "target": target, "reason": reason.as_str(), "status": "pending"});
        audit::record(&mut tx, actor, event("approval.requested", request.id, None, new)).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn mfa_user_exists(&self, id: Uuid) -> Result<(), Error> {
        match store::user_status(self.db.reader(), id).await?.as_deref() {
            Some(status) if status != "deleted" => Ok(()),
            _ => Err(Problem::not_found("user").into()),
        }
    }

    async fn record(&self, actor: &Actor, event: Event) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn decided(id: Uuid) -> Problem {
    Problem::new(Kind::Conflict, "approval-decided", format!("approval request {id} has already been decided"))
}

fn event_for_transaction(action: &'static str, id: Uuid, reason: &Reason, approval: Option<Uuid>) -> Event {
    Event {
        action,
        target_type: "transaction",
        target_id: Some(id.to_string()),
        old: None,
        new: Some(json!({"reason": reason.as_str(), "approval": approval})),
    }
}
