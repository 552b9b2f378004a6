//! Re-encryption after `tresor keys rotate`: every sealed personal-data field (queued mail, TOTP
//! secrets)
//! not under the active encryption key is opened and sealed again, and every SSN blind index
//! not under the active MAC key is recomputed — in batches, one transaction each, with each row
//! updated only if it did not change meanwhile, so it runs safely beside serving processes.

use serde::Serialize;
use sqlx::Row;

use super::pii::{self, Column};
use crate::crypto::Keys;
use crate::db::Db;

#[derive(Debug, Default, Serialize)]
pub struct RekeyReport {
    pub users: u64,
    pub emails: u64,
    /// TOTP secrets re-sealed.
    pub totp_secrets: u64,
    /// Rows still under an older key (changed by a process that has not loaded the new key
    /// yet); running `tresor keys rotate` again finishes them.
    pub remaining: u64,
}

const COLUMNS: [Column; 4] = Column::ALL;

fn stale_users_sql() -> String {
    let mut clauses: Vec<String> =
        COLUMNS.iter().map(|c| format!("({0} IS NOT NULL AND {0} NOT LIKE $1)", c.name())).collect();
    clauses.push("(ssn_index IS NOT NULL AND ssn_index NOT LIKE $2)".to_owned());
    format!(
        "SELECT id, phone, date_of_birth, ssn, address, ssn_index FROM users WHERE {} LIMIT $3",
        clauses.join(" OR ")
    )
}

/// Re-encrypts until nothing is left under an old key, or a pass makes no progress.
#[tracing::instrument(skip_all)]
pub async fn reencrypt(db: &Db, keys: &Keys, batch: i64) -> anyhow::Result<RekeyReport> {
    let mut report = RekeyReport::default();
    let sealed_prefix = format!("v1:{}:%", keys.encryption.active().0);
    let index_prefix = format!("{}:%", keys.mac.active().0);
    let select = stale_users_sql();
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .bind(&sealed_prefix)
            .bind(&index_prefix)
            .bind(batch)
            .fetch_all(db.reader())
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut tx = db.begin().await?;
        let mut progressed = 0;
        for row in &rows {
            let id: String = row.try_get("id")?;
            let mut old = Vec::new();
            let mut new = Vec::new();
            for column in COLUMNS {
                let sealed: Option<String> = row.try_get(column.name())?;
                let fresh = match &sealed {
                    Some(s) => {
                        Some(pii::seal(&keys.encryption, column, &id, &pii::open(&keys.encryption, column, &id, s)?))
                    }
                    None => None,
                };
                old.push(sealed);
                new.push(fresh);
            }
            let ssn_plain = match &old[2] {
                Some(s) => Some(pii::open(&keys.encryption, Column::Ssn, &id, s)?),
                None => None,
            };
            let index = ssn_plain.as_deref().map(|ssn| pii::ssn_index(&keys.mac, ssn));
            let done = sqlx::query(
                "UPDATE users SET phone = $1, date_of_birth = $2, ssn = $3, address = $4, ssn_index = $5 \
                 WHERE id = $6 AND COALESCE(phone, '') = $7 AND COALESCE(date_of_birth, '') = $8 \
                 AND COALESCE(ssn, '') = $9 AND COALESCE(address, '') = $10",
            )
            .bind(&new[0])
            .bind(&new[1])
            .bind(&new[2])
            .bind(&new[3])
            .bind(&index)
            .bind(&id)
            .bind(old[0].clone().unwrap_or_default())
            .bind(old[1].clone().unwrap_or_default())
            .bind(old[2].clone().unwrap_or_default())
            .bind(old[3].clone().unwrap_or_default())
            .execute(&mut *tx)
            .await?;
            progressed += done.rows_affected();
        }
        tx.commit().await?;
        report.users += progressed;
        if progressed == 0 {
            report.remaining = rows.len() as u64;
            break;
        }
    }
    report.emails = reseal_outbox(db, keys, &sealed_prefix, batch).await?;
    report.totp_secrets = crate::mfa::store::reseal_secrets(db, &keys.encryption, batch).await?;
    Ok(report)
}

async fn reseal_outbox(db: &Db, keys: &Keys, prefix: &str, batch: i64) -> anyhow::Result<u64> {
    let column = SealedColumn { table: "email_outbox", id: "id", value: "payload" };
    reseal_column(db, column, prefix, batch, |id, payload| {
        crate::mail::reseal(&keys.encryption, &uuid::Uuid::parse_str(id)?, payload)
    })
    .await
}

/// A column of sealed values, keyed by a text id.
#[derive(Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub id: &'static str,
    pub value: &'static str,
}

/// Re-seals every value of `column` not under the key `prefix` names (`v1:<key id>:%`), in
/// batches of `batch`, one transaction each, each row only if it did not change meanwhile.
/// `reseal(id, sealed)` opens and seals one value. Returns how many rows were re-sealed.
pub async fn reseal_column(
    db: &Db,
    column: SealedColumn,
    prefix: &str,
    batch: i64,
    reseal: impl Fn(&str, &str) -> anyhow::Result<String>,
) -> anyhow::Result<u64> {
    let SealedColumn { table, id, value } = column;
    let select =
        format!("SELECT {id}, {value} FROM {table} WHERE {value} IS NOT NULL AND {value} NOT LIKE $1 LIMIT $2");
    let update = format!("UPDATE {table} SET {value} = $1 WHERE {id} = $2 AND {value} = $3");
    let mut total = 0;
    loop {
        let rows: Vec<(String, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(select.clone())).bind(prefix).bind(batch).fetch_all(db.reader()).await?;
        if rows.is_empty() {
            return Ok(total);
        }
        let mut tx = db.begin().await?;
        let mut progressed = 0;
        for (row_id, sealed) in &rows {
            let fresh = reseal(row_id, sealed)?;
            let done = sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                .bind(fresh)
                .bind(row_id)
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
            progressed += done.rows_affected();
        }
        tx.commit().await?;
        total += progressed;
        if progressed == 0 {
            return Ok(total);
        }
    }
}
