//! The sealed personal-data columns of `users` and the SSN blind index, as key rotation sees
//! them: rows still under an older key, and their conditional rewrite.

use sqlx::{AnyConnection, AnyPool};

use crate::identity::pii::Column;

/// A user's sealed columns (and SSN index) as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct SealedRow {
    pub id: String,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub ssn: Option<String>,
    pub address: Option<String>,
    pub ssn_index: Option<String>,
}

impl SealedRow {
    /// The stored value of one sealed column.
    pub fn column(&self, column: Column) -> &Option<String> {
        match column {
            Column::Phone => &self.phone,
            Column::DateOfBirth => &self.date_of_birth,
            Column::Ssn => &self.ssn,
            Column::Address => &self.address,
        }
    }
}

fn stale_sql() -> String {
    let mut clauses: Vec<String> =
        Column::ALL.iter().map(|c| format!("({0} IS NOT NULL AND {0} NOT LIKE $1)", c.name())).collect();
    clauses.push("(ssn_index IS NOT NULL AND ssn_index NOT LIKE $2)".to_owned());
    format!(
        "SELECT id, phone, date_of_birth, ssn, address, ssn_index FROM users WHERE {} LIMIT $3",
        clauses.join(" OR ")
    )
}

/// Up to `limit` users with a sealed column not under `sealed_prefix` (`v1:<key id>:%`) or an
/// SSN index not under `index_prefix` (`<key id>:%`).
#[tracing::instrument(skip_all)]
pub async fn stale(
    pool: &AnyPool,
    sealed_prefix: &str,
    index_prefix: &str,
    limit: i64,
) -> Result<Vec<SealedRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(stale_sql()))
        .bind(sealed_prefix)
        .bind(index_prefix)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Writes re-sealed columns (phone, date of birth, SSN, address in [`Column::ALL`] order) and
/// the SSN index, only if the sealed columns still hold `old`. False when the row changed.
#[tracing::instrument(skip_all)]
pub async fn rewrite(
    conn: &mut AnyConnection,
    old: &SealedRow,
    new: &[Option<String>; 4],
    ssn_index: Option<String>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET phone = $1, date_of_birth = $2, ssn = $3, address = $4, ssn_index = $5 \
         WHERE id = $6 AND COALESCE(phone, '') = $7 AND COALESCE(date_of_birth, '') = $8 \
         AND COALESCE(ssn, '') = $9 AND COALESCE(address, '') = $10",
    )
    .bind(&new[0])
    .bind(&new[1])
    .bind(&new[2])
    .bind(&new[3])
    .bind(ssn_index)
    .bind(&old.id)
    .bind(old.phone.clone().unwrap_or_default())
    .bind(old.date_of_birth.clone().unwrap_or_default())
    .bind(old.ssn.clone().unwrap_or_default())
    .bind(old.address.clone().unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
