//! What an export file holds.

use serde_json::{Value, json};
use uuid::Uuid;

use super::model::{Export, ExportKind, Format};
use crate::audit::Audit;
use crate::audit::query::{AuditFilter, Direction};
use crate::crypto::Keys;
use crate::db::Db;
use crate::ledger::history;
use crate::ledger::store::accounts;
use crate::{documents, identity, kyc};

const PAGE: u32 = 500;

/// Why an export cannot be built, ever (so the job does not retry).
#[derive(Debug, thiserror::Error)]
pub enum Unbuildable {
    #[error("the user no longer exists")]
    UserGone,
    #[error("the filters do not decode: {0}")]
    Filters(String),
}

pub enum Built {
    File(Vec<u8>),
    Never(Unbuildable),
}

pub async fn build(db: &Db, audit: &Audit, keys: &Keys, export: &Export) -> anyhow::Result<Built> {
    match export.kind {
        ExportKind::User => user(db, audit, keys, export.user_id).await,
        ExportKind::Audit => {
            let filter: AuditFilter = match export.filters.clone().map(serde_json::from_value).transpose() {
                Ok(filter) => filter.unwrap_or_default(),
                Err(error) => return Ok(Built::Never(Unbuildable::Filters(error.to_string()))),
            };
            audit_entries(audit, &filter, export.format).await.map(Built::File)
        }
    }
}

/// Everything held about the user: identity's sections, every version of every document (its
/// metadata: the files themselves are downloaded one by one), the KYC history, then each
/// account with every transaction.
async fn user(db: &Db, audit: &Audit, keys: &Keys, user_id: Uuid) -> anyhow::Result<Built> {
    let Some(mut document) = identity::export::collect(db, audit, keys, user_id).await? else {
        return Ok(Built::Never(Unbuildable::UserGone));
    };
    let mut owned = Vec::new();
    for account in accounts::list_owned(db.reader(), user_id).await? {
        let mut transactions = Vec::new();
        let mut cursor = None;
        loop {
            let page = history::page(db, account.id, PAGE, cursor, &Default::default()).await?;
            transactions.extend(page.items);
            match page.next_cursor.and_then(|c| c.parse::<i64>().ok()) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        owned.push(json!({ "account": account, "transactions": transactions }));
    }
    let documents = documents::store::versions::all_of_owner(db.reader(), user_id).await?;
    let kyc = kyc::history::of_user(db.reader(), user_id).await?;
    if let Value::Object(sections) = &mut document {
        sections.insert("documents".into(), serde_json::to_value(documents)?);
        sections.insert("kyc_history".into(), Value::Array(kyc));
        sections.insert("accounts".into(), Value::Array(owned));
    }
    Ok(Built::File(serde_json::to_vec_pretty(&document)?))
}

const CSV_HEADER: [&str; 12] = [
    "seq",
    "id",
    "at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "old_value",
    "new_value",
    "hash",
];

async fn audit_entries(audit: &Audit, filter: &AuditFilter, format: Format) -> anyhow::Result<Vec<u8>> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = audit.page(filter, Direction::OldestAfter(after), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        entries.extend(page);
    }
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(&json!({ "filters": filter, "entries": entries }))?,
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(CSV_HEADER)?;
            for e in &entries {
                let text = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
                out.write_record(
                    [
                        e.seq.to_string(),
                        e.id.to_string(),
                        e.at.to_rfc3339(),
                        e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                        e.action.clone(),
                        e.target_type.clone(),
                        e.target_id.clone().unwrap_or_default(),
                        e.ip.clone().unwrap_or_default(),
                        e.user_agent.clone().unwrap_or_default(),
                        text(&e.old),
                        text(&e.new),
                        e.hash.clone(),
                    ]
                    .map(spreadsheet_safe),
                )?;
            }
            out.into_inner()?
        }
    })
}

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, tab or carriage
/// return (user agents and names are client-controlled) gets a leading apostrophe (OWASP's advice
/// against CSV injection).
fn spreadsheet_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(super::spreadsheet_safe("user.login".into()), "user.login");
    }
}
