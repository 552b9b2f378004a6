//! The account store: opening, reading and looking accounts up.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::account::{self, Account, AccountKind, AccountStatus, COLUMNS, parse_uuid};
use super::money::Currency;
use super::number::AccountNumber;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Dialect, time};

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Opens an account for `user_id`, with its audit entry, in the caller's transaction.
#[tracing::instrument(skip_all, fields(kind = kind.as_str(), currency = %currency))]
pub async fn open(
    conn: &mut AnyConnection,
    dialect: Dialect,
    actor: &Actor,
    user_id: Uuid,
    kind: AccountKind,
    currency: Currency,
) -> Result<Account, sqlx::Error> {
    let id = Uuid::now_v7();
    let created_at = time::now();
    // A random number collides with an existing one about once in 10^10 per account: retry.
    let mut attempt = 0;
    let number = loop {
        let number = AccountNumber::generate();
        let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM accounts WHERE number = $1")
            .bind(number.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        attempt += 1;
        if taken.is_none() || attempt >= 5 {
            break number;
        }
    };
    sqlx::query(
        "INSERT INTO accounts (id, user_id, number, kind, currency, balance, version, status, is_system, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, 'open', 0, $6)",
    )
    .bind(id.to_string())
    .bind(user_id.to_string())
    .bind(number.as_str())
    .bind(kind.as_str())
    .bind(currency.code())
    .bind(time::to_db(created_at))
    .execute(&mut *conn)
    .await?;
    let event = Event {
        action: "account.opened",
        target_type: "account",
        target_id: Some(id.to_string()),
        old: None,
        new: Some(serde_json::json!({"kind": kind, "currency": currency.code(), "number": number.as_str()})),
    };
    audit::append(conn, dialect, actor, event).await?;
    Ok(Account {
        id,
        user_id: Some(user_id),
        number,
        kind,
        currency,
        balance: 0,
        available_balance: 0,
        status: AccountStatus::Open,
        created_at,
    })
}

/// `user_id`'s account `id`; `None` when it does not exist *or belongs to someone else*.
pub async fn get_owned(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1 AND user_id = $2 AND is_system = 0");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(account::from_row).transpose()
}

pub async fn list_owned(db: &Db, user_id: Uuid) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE user_id = $1 AND is_system = 0 ORDER BY created_at, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id.to_string()).fetch_all(db.reader()).await?;
    rows.iter().map(account::from_row).collect()
}

/// The customer account with this number, whoever owns it (for transfers).
pub async fn find_by_number(db: &Db, number: &AccountNumber) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE number = $1 AND is_system = 0");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number.as_str()).fetch_optional(db.reader()).await?;
    row.as_ref().map(account::from_row).transpose()
}

/// The system cash account of `currency`, created on first use. Deposits and withdrawals post
/// against it; its balance is derived from its postings (it is not a hot row to update).
pub async fn cash_account(db: &Db, currency: Currency) -> Result<Uuid, sqlx::Error> {
    let find = "SELECT id FROM accounts WHERE currency = $1 AND is_system = 1";
    if let Some(row) = sqlx::query(find).bind(currency.code()).fetch_optional(db.reader()).await? {
        return parse_uuid(&row.try_get::<String, _>("id")?);
    }
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, user_id, number, kind, currency, balance, version, status, is_system, created_at) \
         VALUES ($1, NULL, $2, 'system', $3, 0, 0, 'open', 1, $4)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(format!("SYSTEM-CASH-{}", currency.code()))
    .bind(currency.code())
    .bind(time::to_db(time::now()))
    .execute(db.writer())
    .await;
    match inserted {
        Ok(_) => {}
        // Another process created it first: use theirs.
        Err(error) if is_unique_violation(&error) => {}
        Err(error) => return Err(error),
    }
    let row = sqlx::query(find).bind(currency.code()).fetch_one(db.writer()).await?;
    parse_uuid(&row.try_get::<String, _>("id")?)
}

/// Whether `user_id`'s identity check was approved (opening an account needs it). Read from the
/// database, not the token, so an approval counts at once.
pub async fn kyc_approved(db: &Db, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar("SELECT kyc_status FROM users WHERE id = $1 AND status = 'active'")
        .bind(user_id.to_string())
        .fetch_optional(db.reader())
        .await?;
    Ok(status.as_deref() == Some("approved"))
}
