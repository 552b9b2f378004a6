//! The `cards` table: issuing, reading a customer's cards, finding one by its number's blind
//! index, status changes, and what a card's authorizations reserved today.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use super::card::{Card, CardStatus, SpendingLimit};
use crate::db::{batch, decode, time};

const COLUMNS: &str =
    "id, account_id, user_id, last4, expiry_month, expiry_year, status, limit_per_transaction, limit_daily, created_at";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: String,
    account_id: String,
    user_id: String,
    last4: String,
    expiry_month: i64,
    expiry_year: i64,
    status: String,
    limit_per_transaction: Option<i64>,
    limit_daily: Option<i64>,
    created_at: String,
}

impl TryFrom<CardRow> for Card {
    type Error = sqlx::Error;

    fn try_from(row: CardRow) -> Result<Self, sqlx::Error> {
        let invalid = |what: &str| sqlx::Error::Decode(format!("card {}: bad {what}", row.id).into());
        Ok(Card {
            id: decode::uuid(&row.id)?,
            account_id: decode::uuid(&row.account_id)?,
            user_id: decode::uuid(&row.user_id)?,
            last4: row.last4.clone(),
            expiry_month: u32::try_from(row.expiry_month).map_err(|_| invalid("expiry_month"))?,
            expiry_year: i32::try_from(row.expiry_year).map_err(|_| invalid("expiry_year"))?,
            status: CardStatus::parse(&row.status)?,
            spending_limit: SpendingLimit { per_transaction: row.limit_per_transaction, daily: row.limit_daily },
            created_at: decode::time(&row.created_at)?,
        })
    }
}

/// A card to issue, with its sealed number and index.
pub struct NewCard<'a> {
    pub card: &'a Card,
    pub pan_sealed: &'a str,
    pub pan_index: &'a str,
    pub cvv_key_id: &'a str,
}

/// Inserts the card; `false` when its number's index is taken (draw another number).
#[tracing::instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, new: &NewCard<'_>) -> Result<bool, sqlx::Error> {
    let card = new.card;
    let done = sqlx::query(
        "INSERT INTO cards (id, account_id, user_id, pan_sealed, pan_index, last4, expiry_month, expiry_year, \
         cvv_key_id, status, limit_per_transaction, limit_daily, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $11, $12) ON CONFLICT (pan_index) DO NOTHING",
    )
    .bind(card.id.to_string())
    .bind(card.account_id.to_string())
    .bind(card.user_id.to_string())
    .bind(new.pan_sealed)
    .bind(new.pan_index)
    .bind(&card.last4)
    .bind(i64::from(card.expiry_month))
    .bind(i64::from(card.expiry_year))
    .bind(new.cvv_key_id)
    .bind(card.spending_limit.per_transaction)
    .bind(card.spending_limit.daily)
    .bind(time::to_db(card.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any card's index is among `candidates`.
#[tracing::instrument(skip_all)]
pub async fn index_taken(conn: &mut AnyConnection, candidates: &[String]) -> Result<bool, sqlx::Error> {
    Ok(by_index_in(conn, candidates).await?.is_some())
}

/// The card whose number has one of `candidates` as its index, with its CVV key id.
#[tracing::instrument(skip_all)]
pub async fn by_index(pool: &AnyPool, candidates: &[String]) -> Result<Option<(Card, String)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    by_index_in(&mut conn, candidates).await
}

#[derive(sqlx::FromRow)]
struct IndexedRow {
    #[sqlx(flatten)]
    card: CardRow,
    cvv_key_id: String,
}

async fn by_index_in(conn: &mut AnyConnection, candidates: &[String]) -> Result<Option<(Card, String)>, sqlx::Error> {
    if candidates.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {COLUMNS}, cvv_key_id FROM cards WHERE pan_index IN ({}) LIMIT 1",
        batch::list(1, candidates.len())
    );
    let mut query = sqlx::query_as::<_, IndexedRow>(sqlx::AssertSqlSafe(sql));
    for candidate in candidates {
        query = query.bind(candidate);
    }
    let Some(row) = query.fetch_optional(&mut *conn).await? else { return Ok(None) };
    Ok(Some((Card::try_from(row.card)?, row.cvv_key_id)))
}

/// `user`'s card `id`; `None` when it does not exist or is someone else's.
#[tracing::instrument(skip_all)]
pub async fn owned(pool: &AnyPool, user: Uuid, id: Uuid) -> Result<Option<Card>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cards WHERE id = $1 AND user_id = $2");
    let row: Option<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(user.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(Card::try_from).transpose()
}

/// `user`'s cards, oldest first.
#[tracing::instrument(skip_all)]
pub async fn list_owned(pool: &AnyPool, user: Uuid) -> Result<Vec<Card>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cards WHERE user_id = $1 ORDER BY id LIMIT 200");
    let rows: Vec<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user.to_string()).fetch_all(pool).await?;
    rows.into_iter().map(Card::try_from).collect()
}

/// Moves the card from `from` to `to`; `false` when it was not in `from` (a closed card stays
/// closed).
#[tracing::instrument(skip_all)]
pub async fn set_status(
    conn: &mut AnyConnection,
    id: Uuid,
    from: CardStatus,
    to: CardStatus,
) -> Result<bool, sqlx::Error> {
    let closed_at = (to == CardStatus::Closed).then(|| time::to_db(time::now()));
    let done =
        sqlx::query("UPDATE cards SET status = $3, closed_at = COALESCE($4, closed_at) WHERE id = $1 AND status = $2")
            .bind(id.to_string())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(closed_at)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the card's owner is emailed: their address (none once erased) and name.
#[tracing::instrument(skip_all)]
pub async fn owner_contact(conn: &mut AnyConnection, user: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    let row: Option<(Option<String>, String)> = sqlx::query_as("SELECT email, full_name FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|(email, name)| Some((email?, name))))
}
