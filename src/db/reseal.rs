//! Re-sealing a column of encrypted values after `tresor keys rotate`, for any table: the
//! values not under the active key are opened and sealed again in batches, one transaction
//! each, each row only if it did not change meanwhile, so it runs safely beside serving
//! processes. Each capability supplies how one of its values is opened and sealed.

use super::Db;

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
#[tracing::instrument(skip_all, fields(table = column.table))]
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
