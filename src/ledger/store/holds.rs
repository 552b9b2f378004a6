//! The `holds` table: which holds are open (read under the committing transaction's locks, for
//! the plan), the rows of newly placed holds, the end of captured, released and expired ones,
//! and the reads of an account's holds.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use crate::db::insert::Insert;
use crate::db::{Dialect, batch, decode};
use crate::ledger::command::{Command, HoldOp};
use crate::ledger::hold::{Hold, HoldStatus};
use crate::ledger::retry::Retry;

/// The open holds among `ids`, with their account and amount — locked until commit on
/// PostgreSQL (in id order), so a concurrent capture or release of the same hold waits.
#[tracing::instrument(skip_all)]
pub async fn open(conn: &mut AnyConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, (Uuid, i64)>, sqlx::Error> {
    let rows = locked(conn, ids, "open", "amount").await?;
    rows.into_iter().map(|(id, account, amount)| Ok((decode::uuid(&id)?, (decode::uuid(&account)?, amount)))).collect()
}

/// The captured holds among `ids`, with their account and what can still be refunded (captured
/// less refunded) — locked until commit on PostgreSQL, so a concurrent refund waits.
#[tracing::instrument(skip_all)]
pub async fn refundable(conn: &mut AnyConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, (Uuid, i64)>, sqlx::Error> {
    let mut out = HashMap::new();
    for (id, account, captured) in locked(conn, ids, "captured", "captured").await? {
        let refunded: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM card_refunds WHERE hold_id = $1")
                .bind(&id)
                .fetch_one(&mut *conn)
                .await?;
        out.insert(decode::uuid(&id)?, (decode::uuid(&account)?, captured - refunded));
    }
    Ok(out)
}

/// What each of `cards` held and captured since `since` (holds still open count their amount,
/// captured ones what they took). Read in the committing transaction after the account's row
/// is locked: every hold of a card is on its one account, so concurrent authorizations of the
/// card are decided one after the other, in any process.
#[tracing::instrument(skip_all)]
pub async fn card_spent_since(
    conn: &mut AnyConnection,
    cards: &[Uuid],
    since: &str,
) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    let mut spent = HashMap::new();
    for card in cards {
        if spent.contains_key(card) {
            continue;
        }
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'open' THEN amount WHEN status = 'captured' THEN captured \
             ELSE 0 END), 0) AS BIGINT) FROM holds WHERE card_id = $1 AND created_at >= $2",
        )
        .bind(card.to_string())
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
        spent.insert(*card, total);
    }
    Ok(spent)
}

/// The holds among `ids` in `status` as `(id, account, amount column)`, locked until commit on
/// PostgreSQL in id order. `status` and `amount` are this module's constants, never input.
async fn locked(
    conn: &mut AnyConnection,
    ids: &[Uuid],
    status: &'static str,
    amount: &'static str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    let sql = format!(
        "SELECT id, account_id, {amount} FROM holds WHERE status = '{status}' AND id IN ({}) ORDER BY id{}",
        batch::list(1, ids.len()),
        Dialect::of(conn).for_update()
    );
    let mut query = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(id);
    }
    query.fetch_all(&mut *conn).await
}

/// The `card_refunds` rows linking each refund's entry to its hold (inserted after the entries).
pub fn refund_rows(entries: &[crate::ledger::entry::Entry<'_>], at: &str) -> Insert {
    let mut rows = Insert::new("card_refunds", &["entry_id", "hold_id", "amount", "created_at"]);
    for entry in entries {
        let Some(HoldOp::Refund { id }) = &entry.command.hold else { continue };
        rows.row([
            entry.id.to_string().into(),
            id.to_string().into(),
            entry.command.amount.minor_units().into(),
            at.into(),
        ]);
    }
    rows
}

/// A placed hold, as the batch writes it.
pub struct Placed<'a> {
    pub account: Uuid,
    pub command: &'a Command,
}

/// The rows of the holds a batch places.
pub fn rows(placed: &[Placed<'_>], at: &str) -> Insert {
    let mut rows = Insert::new(
        "holds",
        &["id", "account_id", "card_id", "amount", "currency", "description", "expires_at", "created_at"],
    );
    for placed in placed {
        let Some(HoldOp::Place { id, card, expires_at, .. }) = &placed.command.hold else { continue };
        rows.row([
            id.to_string().into(),
            placed.account.to_string().into(),
            card.map(|c| c.to_string()).into(),
            placed.command.amount.minor_units().into(),
            placed.command.currency.code().into(),
            placed.command.description.clone().into(),
            crate::db::time::to_db(*expires_at).into(),
            at.into(),
        ]);
    }
    rows
}

/// How a hold ended.
pub struct Ended {
    pub id: Uuid,
    pub status: HoldStatus,
    pub captured: i64,
    /// The journal entry a capture posted.
    pub entry: Option<Uuid>,
}

/// Ends each hold of `ended` that is still open. One that is not makes the transaction stale
/// (the plan read them open under the same locks, so this is a last line of defence).
#[tracing::instrument(skip_all)]
pub async fn end(conn: &mut AnyConnection, ended: &[Ended], at: &str) -> Result<(), Retry> {
    for hold in ended {
        let done = sqlx::query(
            "UPDATE holds SET status = $2, captured = $3, capture_entry_id = $4, ended_at = $5 \
             WHERE id = $1 AND status = 'open'",
        )
        .bind(hold.id.to_string())
        .bind(hold.status.as_str())
        .bind(hold.captured)
        .bind(hold.entry.map(|e| e.to_string()))
        .bind(at)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Retry::Stale);
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HoldRow {
    id: String,
    account_id: String,
    card_id: Option<String>,
    amount: i64,
    currency: String,
    captured: i64,
    status: String,
    description: Option<String>,
    expires_at: String,
    created_at: String,
}

impl TryFrom<HoldRow> for Hold {
    type Error = sqlx::Error;

    fn try_from(row: HoldRow) -> Result<Self, sqlx::Error> {
        Ok(Hold {
            id: decode::uuid(&row.id)?,
            amount: row.amount,
            currency: row.currency.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            captured: row.captured,
            status: HoldStatus::parse(&row.status)?,
            description: row.description,
            expires_at: decode::time(&row.expires_at)?,
            created_at: decode::time(&row.created_at)?,
            account_id: decode::uuid(&row.account_id)?,
            card_id: row.card_id.as_deref().map(decode::uuid).transpose()?,
        })
    }
}

const COLUMNS: &str =
    "id, account_id, card_id, amount, currency, captured, status, description, expires_at, created_at";

/// The account's holds, open ones first, then the most recent; at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn of_account(pool: &AnyPool, account: Uuid, limit: i64) -> Result<Vec<Hold>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM holds WHERE account_id = $1 \
         ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, id DESC LIMIT $2"
    );
    let rows: Vec<HoldRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account.to_string()).bind(limit).fetch_all(pool).await?;
    rows.into_iter().map(Hold::try_from).collect()
}

/// The account's open holds, oldest first.
#[tracing::instrument(skip_all)]
pub async fn open_of_account(pool: &AnyPool, account: Uuid) -> Result<Vec<Hold>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM holds WHERE account_id = $1 AND status = 'open' ORDER BY id");
    let rows: Vec<HoldRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account.to_string()).fetch_all(pool).await?;
    rows.into_iter().map(Hold::try_from).collect()
}

/// One hold by id.
#[tracing::instrument(skip_all)]
pub async fn one(pool: &AnyPool, id: Uuid) -> Result<Option<Hold>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM holds WHERE id = $1");
    let row: Option<HoldRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.map(Hold::try_from).transpose()
}

/// Open holds whose expiry has passed at `now`, oldest first; at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn expired(pool: &AnyPool, now: &str, limit: i64) -> Result<Vec<Hold>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM holds WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2");
    let rows: Vec<HoldRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(pool).await?;
    rows.into_iter().map(Hold::try_from).collect()
}

/// The account's held total, read in the caller's transaction (after its locks).
#[tracing::instrument(skip_all)]
pub async fn held(conn: &mut AnyConnection, account: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT held FROM accounts WHERE id = $1").bind(account.to_string()).fetch_one(&mut *conn).await
}
