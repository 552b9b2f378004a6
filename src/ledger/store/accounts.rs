//! The `accounts` table as customers see it: opening, reading and looking accounts up, and the
//! per-currency cash accounts deposits and withdrawals post against.

use sqlx::{AnyConnection, AnyPool};
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::db::decode;
use crate::db::time;
use crate::events::{self, EventType, NewEvent};
use crate::ledger::account::{Account, AccountKind, AccountStatus};
use crate::ledger::money::Currency;
use crate::ledger::number::AccountNumber;

pub(super) const COLUMNS: &str = "id, user_id, number, kind, currency, balance, held, status, created_at";

/// A customer account's row.
#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    pub(super) id: String,
    pub(super) user_id: Option<String>,
    pub(super) number: String,
    pub(super) kind: String,
    pub(super) currency: String,
    pub(super) balance: i64,
    /// The open holds' total.
    pub(super) held: i64,
    pub(super) status: String,
    pub(super) created_at: String,
}

impl TryFrom<AccountRow> for Account {
    type Error = sqlx::Error;

    fn try_from(row: AccountRow) -> Result<Self, sqlx::Error> {
        let invalid = |e: String| sqlx::Error::Decode(e.into());
        let kind = match row.kind.as_str() {
            "checking" => AccountKind::Checking,
            "savings" => AccountKind::Savings,
            other => return Err(invalid(format!("not a customer account kind: {other}"))),
        };
        Ok(Account {
            id: decode::uuid(&row.id)?,
            user_id: row.user_id.as_deref().map(decode::uuid).transpose()?,
            number: row.number.parse().map_err(|e: &str| invalid(e.to_owned()))?,
            kind,
            currency: row.currency.parse().map_err(invalid)?,
            balance: row.balance,
            available_balance: row.balance - row.held,
            status: AccountStatus::parse(&row.status)?,
            created_at: decode::time(&row.created_at)?,
        })
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Opens an account for `user_id`, with its audit entry, in the caller's transaction.
#[tracing::instrument(skip_all, fields(kind = kind.as_str(), currency = %currency))]
pub async fn open(
    conn: &mut AnyConnection,
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
    audit::record(conn, actor, event).await?;
    let data = serde_json::json!({"account_id": id, "kind": kind, "currency": currency.code(), "status": "open"});
    events::record(conn, NewEvent::new(EventType::AccountOpened, ("account", id), Some(user_id), data)).await?;
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
#[tracing::instrument(skip_all)]
pub async fn owned(pool: &AnyPool, user_id: Uuid, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1 AND user_id = $2 AND is_system = 0");
    let row: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(Account::try_from).transpose()
}

/// `user_id`'s accounts, oldest first.
#[tracing::instrument(skip_all)]
pub async fn list_owned(pool: &AnyPool, user_id: Uuid) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE user_id = $1 AND is_system = 0 ORDER BY created_at, id");
    let rows: Vec<AccountRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id.to_string()).fetch_all(pool).await?;
    rows.into_iter().map(Account::try_from).collect()
}

/// The customer account with this number, whoever owns it (for transfers).
#[tracing::instrument(skip_all)]
pub async fn by_number(pool: &AnyPool, number: &AccountNumber) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE number = $1 AND is_system = 0");
    let row: Option<AccountRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(number.as_str()).fetch_optional(pool).await?;
    row.map(Account::try_from).transpose()
}

/// The system cash account of `currency`, if it was created.
#[tracing::instrument(skip_all)]
pub async fn cash(pool: &AnyPool, currency: Currency) -> Result<Option<Uuid>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE currency = $1 AND is_system = 1")
        .bind(currency.code())
        .fetch_optional(pool)
        .await?;
    id.as_deref().map(decode::uuid).transpose()
}

/// Creates the system cash account of `currency`; another process creating it first is fine
/// (read it back with [`cash`]). Its balance is derived from its postings, never updated.
#[tracing::instrument(skip_all)]
pub async fn create_cash(pool: &AnyPool, currency: Currency) -> Result<(), sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, user_id, number, kind, currency, balance, version, status, is_system, created_at) \
         VALUES ($1, NULL, $2, 'system', $3, 0, 0, 'open', 1, $4)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(format!("SYSTEM-CASH-{}", currency.code()))
    .bind(currency.code())
    .bind(time::to_db(time::now()))
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Whether `user_id`'s identity check was approved (opening an account needs it). Read from the
/// database, not the token, so an approval counts at once.
#[tracing::instrument(skip_all)]
pub async fn kyc_approved(pool: &AnyPool, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar("SELECT kyc_status FROM users WHERE id = $1 AND status = 'active'")
        .bind(user_id.to_string())
        .fetch_optional(pool)
        .await?;
    Ok(status.as_deref() == Some("approved"))
}
