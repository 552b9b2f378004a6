//! [`Cases`]: listing, reading, assigning, noting and resolving cases.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::{Case, CaseDetail, CaseStatus, Outcome, store};
use crate::approvals::Approvals;
use crate::audit::{self, Actor, Event};
use crate::authz::{Authz, Permission};
use crate::db::Db;
use crate::error::{Error, Kind, Problem};
use crate::events::{self, EventType, NewEvent};
use crate::ledger::service::Ledger;
use crate::reason::Reason;

pub struct Cases {
    db: Db,
    ledger: Arc<Ledger>,
    approvals: Arc<Approvals>,
    authz: Arc<Authz>,
}

fn event(action: &'static str, id: Uuid, old: Option<serde_json::Value>, new: serde_json::Value) -> Event {
    Event { action, target_type: "case", target_id: Some(id.to_string()), old, new: Some(new) }
}

impl Cases {
    pub fn new(db: Db, ledger: Arc<Ledger>, approvals: Arc<Approvals>, authz: Arc<Authz>) -> Self {
        Self { db, ledger, approvals, authz }
    }

    /// Newest first; the cursor is the last id.
    pub async fn list(
        &self,
        actor: &Actor,
        status: Option<CaseStatus>,
        assignee: Option<Uuid>,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<(Vec<Case>, Option<String>), Error> {
        let mut items = store::page(self.db.reader(), status, assignee, cursor, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = if more { items.last().map(|c| c.id.to_string()) } else { None };
        let detail = json!({"status": status, "assignee": assignee, "results": items.len()});
        let read =
            Event { action: "admin.cases.list", target_type: "case", target_id: None, old: None, new: Some(detail) };
        self.record(actor, read).await?;
        Ok((items, next))
    }

    /// The case with its transaction, account and customer, and its notes.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<CaseDetail, Error> {
        let detail = self.detail(id).await?;
        self.record(actor, event("admin.cases.read", id, None, json!({"status": detail.case.status}))).await?;
        Ok(detail)
    }

    /// Gives the case to `assignee`, who must hold `cases:manage` (422 `invalid-assignee`).
    pub async fn assign(&self, actor: &Actor, id: Uuid, assignee: Uuid) -> Result<CaseDetail, Error> {
        let access = self.authz.access(assignee).await.map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
        if !access.allows(Permission::CasesManage, chrono::Utc::now()) {
            return Err(Problem::new(
                Kind::Unprocessable,
                "invalid-assignee",
                "assignee_id must name a staff member who holds cases:manage",
            )
            .into());
        }
        let mut tx = self.db.begin().await?;
        let case = self.open_case(&mut tx, id).await?;
        store::assign(&mut tx, id, assignee).await?;
        let audit_event = event(
            "case.assigned",
            id,
            Some(json!({"assignee_id": case.assignee_id})),
            json!({"assignee_id": assignee}),
        );
        audit::record(&mut tx, actor, audit_event).await?;
        tx.commit().await?;
        self.detail(id).await
    }

    /// Adds a note (resolved cases take notes too).
    pub async fn note(&self, actor: &Actor, id: Uuid, text: &Reason) -> Result<CaseDetail, Error> {
        let mut tx = self.db.begin().await?;
        store::find(&mut tx, id, true).await?.ok_or_else(|| Problem::not_found("case"))?;
        let note = store::add_note(&mut tx, id, actor.user_id, text.as_str()).await?;
        audit::record(&mut tx, actor, event("case.noted", id, None, json!({"note_id": note, "text": text.as_str()})))
            .await?;
        tx.commit().await?;
        self.detail(id).await
    }

    /// Resolves the case. `reversal_requested` asks for the transaction's reversal and
    /// `account_frozen` freezes the account, through the same services as the endpoints that do
    /// them; the case is resolved only once its action succeeded (an account frozen already
    /// counts).
    pub async fn resolve(&self, actor: &Actor, id: Uuid, outcome: Outcome, note: &Reason) -> Result<CaseDetail, Error> {
        let case = store::get(self.db.reader(), id).await?.ok_or_else(|| Problem::not_found("case"))?;
        if case.status != CaseStatus::Open {
            return Err(resolved(id).into());
        }
        let mut effect = json!(null);
        match outcome {
            Outcome::Cleared => {}
            Outcome::ReversalRequested => {
                let entry = case.transaction_id.ok_or_else(|| nothing_to("reverse"))?;
                effect = match self.approvals.request_reversal(actor, entry, note).await? {
                    crate::approvals::ReversalRequested::Pending(request) => json!({"approval_id": request.id}),
                    crate::approvals::ReversalRequested::Posted(_) => json!({"reversed": true}),
                };
            }
            Outcome::AccountFrozen => {
                let account = case.account_id.ok_or_else(|| nothing_to("freeze"))?;
                match self.ledger.freeze(actor, account, note).await {
                    Ok(_) => effect = json!({"frozen": account}),
                    Err(Error::Rejected(p)) if p.slug() == "already-frozen" => effect = json!({"frozen": account}),
                    Err(error) => return Err(error),
                }
            }
        }
        let mut tx = self.db.begin().await?;
        if !store::resolve(&mut tx, id, outcome, actor.user_id).await? {
            return Err(resolved(id).into());
        }
        store::add_note(&mut tx, id, actor.user_id, note.as_str()).await?;
        let new = json!({"status": "resolved", "outcome": outcome.as_str(), "note": note.as_str(), "effect": effect});
        audit::record(&mut tx, actor, event("case.resolved", id, Some(json!({"status": "open"})), new)).await?;
        let data = json!({"case_id": id, "status": "resolved", "outcome": outcome.as_str()});
        events::record(&mut tx, NewEvent::new(EventType::CaseResolved, ("case", id), None, data)).await?;
        tx.commit().await?;
        self.detail(id).await
    }

    /// Open cases (for the metrics).
    pub async fn open_count(&self) -> Result<i64, Error> {
        Ok(store::open_count(self.db.reader()).await?)
    }

    async fn open_case(&self, conn: &mut sqlx::AnyConnection, id: Uuid) -> Result<Case, Error> {
        let case = store::find(conn, id, true).await?.ok_or_else(|| Problem::not_found("case"))?;
        if case.status != CaseStatus::Open {
            return Err(resolved(id).into());
        }
        Ok(case)
    }

    async fn detail(&self, id: Uuid) -> Result<CaseDetail, Error> {
        let case = store::get(self.db.reader(), id).await?.ok_or_else(|| Problem::not_found("case"))?;
        let (account, transaction) = match case.account_id {
            Some(account) => self.ledger.account_and_transaction(account, case.transaction_id).await?,
            None => (None, None),
        };
        let notes = store::notes(self.db.reader(), id).await?;
        Ok(CaseDetail { case, transaction, account, notes })
    }

    async fn record(&self, actor: &Actor, event: Event) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn resolved(id: Uuid) -> Problem {
    Problem::new(Kind::Conflict, "case-resolved", format!("case {id} is resolved already"))
}

fn nothing_to(what: &str) -> Problem {
    Problem::new(Kind::Unprocessable, "case-has-no-target", format!("this case names nothing to {what}"))
}
