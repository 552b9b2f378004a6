//! `Statements`: building each account's monthly statement (the monthly job and
//! `tresor statements build`), listing them, and signed five-minute download links.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tresor_jobs::Store;
use tresor_jobs::email::{Email, Template};
use uuid::Uuid;

use super::content::{self, Content};
use super::model::{Period, Statement, StatementFormat};
use super::pdf::{self, Heading};
use super::{link, store};
use crate::crypto::{Keys, aead};
use crate::db::{Db, time};
use crate::error::{Error, Problem};
use crate::ledger::account::Account;
use crate::ledger::service::Caller;
use crate::ledger::store::accounts;
use crate::{identity, mail};

/// How long a download link lives.
const LINK_MINUTES: i64 = 5;

pub struct Statements {
    db: Db,
    keys: Arc<Keys>,
    jobs: Store,
    public_url: String,
}

/// A signed download link.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StatementLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A statement file, opened.
pub struct StatementFile {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// What a build did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Built {
    /// Statements written (new, or partial ones replaced).
    pub written: u64,
    /// Accounts whose complete statement of the period existed already.
    pub kept: u64,
}

pub(super) fn associated(id: Uuid, column: &str) -> String {
    aead::associated_data("statements", column, &id.to_string())
}

/// Seals a statement file again under the ring's active key (key rotation).
pub fn reseal(ring: &crate::crypto::KeyRing, id: Uuid, column: &str, sealed: &str) -> anyhow::Result<String> {
    let plain = aead::open(ring, sealed, &associated(id, column))?;
    Ok(aead::seal(ring, &plain, &associated(id, column)))
}

impl Statements {
    pub fn new(db: Db, keys: Arc<Keys>, jobs: Store, public_url: String) -> Self {
        Self { db, keys, jobs, public_url }
    }

    /// The caller's account's statements, newest first (404 when the account is not theirs).
    pub async fn list(&self, caller: &Caller, account: Uuid) -> Result<Vec<Statement>, Error> {
        let account = self.owned(caller, account).await?;
        Ok(store::list(self.db.reader(), account.id).await?)
    }

    /// A link to download one of the caller's statements, valid five minutes, for them only.
    pub async fn link(
        &self,
        caller: &Caller,
        account: Uuid,
        id: Uuid,
        format: StatementFormat,
    ) -> Result<StatementLink, Error> {
        let account = self.owned(caller, account).await?;
        let statement = store::get(self.db.reader(), account.id, id).await?;
        let statement = statement.ok_or_else(|| Problem::not_found("statement"))?;
        let expires_at = Utc::now() + Duration::minutes(LINK_MINUTES);
        let token = link::sign(&self.keys.mac, statement.id, caller.user_id, format, expires_at);
        let url = format!("{}/v1/statement-files/{token}", self.public_url.trim_end_matches('/'));
        Ok(StatementLink { url, expires_at })
    }

    /// The file a link names, if the link is valid (and, when the request is signed in, the
    /// caller's); `None` otherwise.
    pub async fn open(&self, token: &str, presenter: Option<Uuid>) -> Result<Option<StatementFile>, Error> {
        let Some(named) = link::verify(&self.keys.mac, token, Utc::now()) else { return Ok(None) };
        if presenter.is_some_and(|user| user != named.user_id) {
            return Ok(None);
        }
        let Some((period, sealed)) =
            store::sealed(self.db.reader(), named.statement_id, named.user_id, named.format).await?
        else {
            return Ok(None);
        };
        let column = format!("{}_sealed", named.format.as_str());
        let bytes = aead::open(&self.keys.encryption, &sealed, &associated(named.statement_id, &column))
            .map_err(|e| Error::Internal(anyhow::anyhow!("statement file does not open: {e}")))?;
        Ok(Some(StatementFile {
            filename: format!("statement-{period}.{}", named.format.as_str()),
            content_type: named.format.content_type(),
            bytes,
        }))
    }

    /// Builds `period`'s statement of every customer account (or of `only`) as of `now`: a
    /// period that has not ended is built up to `now` and marked partial. A complete statement
    /// is never rebuilt; a new complete one emails its owner.
    #[tracing::instrument(skip_all, fields(%period))]
    pub async fn build(&self, period: Period, only: Option<Uuid>, now: DateTime<Utc>) -> anyhow::Result<Built> {
        let until = period.end().min(now);
        let mut built = Built::default();
        for (id, owner) in store::accounts_before(self.db.reader(), &time::to_db(until)).await? {
            let (id, owner) = (id.parse::<Uuid>()?, owner.parse::<Uuid>()?);
            if only.is_some_and(|only| only != id) {
                continue;
            }
            if store::complete(self.db.reader(), id, period).await? {
                built.kept += 1;
                continue;
            }
            let Some(account) = accounts::owned(self.db.reader(), owner, id).await? else { continue };
            if self.build_one(&account, owner, period, until, now).await? {
                built.written += 1;
            }
        }
        Ok(built)
    }

    async fn build_one(
        &self,
        account: &Account,
        owner: Uuid,
        period: Period,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let content = content::collect(&self.db, account.id, period.start(), until).await?;
        let partial = period.end() > now;
        let statement = Statement {
            id: Uuid::now_v7(),
            account_id: account.id,
            period,
            opening_balance: content.opening,
            closing_balance: content.closing,
            postings: content.postings.len() as i64,
            partial,
            created_at: now,
        };
        let (csv, pdf) = self.files(account, &statement, &content)?;
        let mut tx = self.db.begin().await?;
        let new = store::NewStatement { statement: &statement, user_id: owner, csv_sealed: &csv, pdf_sealed: &pdf };
        if !store::save(&mut tx, &new).await? {
            return Ok(false);
        }
        let mut deferred = None;
        let owner_row = if partial { None } else { identity::store::users::find(&mut *tx, owner).await? };
        if let Some(user) = owner_row
            && let Some(to) = user.email
        {
            let data = json!({"full_name": user.full_name, "account": account.number.to_string(), "period": period.to_string()});
            let email = Email { to, template: Template::StatementReady, data };
            deferred = Some(mail::send(&mut tx, &self.keys.encryption, &self.jobs, email).await?.1);
        }
        tx.commit().await?;
        if let Some(deferred) = deferred {
            deferred.after_commit(&self.jobs).await;
        }
        Ok(true)
    }

    /// The CSV and the PDF, each sealed to this statement's row and column.
    fn files(&self, account: &Account, statement: &Statement, content: &Content) -> anyhow::Result<(String, String)> {
        let csv = content::csv(content)?;
        let heading = Heading {
            account_number: account.number.as_str(),
            period: &statement.period.to_string(),
            currency: account.currency,
            partial_until: statement.partial.then(|| statement.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        };
        let pdf = pdf::render(&heading, content);
        let ring = &self.keys.encryption;
        Ok((
            aead::seal(ring, &csv, &associated(statement.id, "csv_sealed")),
            aead::seal(ring, &pdf, &associated(statement.id, "pdf_sealed")),
        ))
    }

    async fn owned(&self, caller: &Caller, account: Uuid) -> Result<Account, Error> {
        accounts::owned(self.db.reader(), caller.user_id, account)
            .await?
            .ok_or_else(|| Problem::not_found("account").into())
    }
}
