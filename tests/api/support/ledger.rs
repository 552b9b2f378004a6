//! The ledger through its service: callers, accounts, deposits, reading refusals and balances,
//! checking the books; sessions that passed step-up; and approved customers for its endpoints.

use tresor::audit::Actor;
use tresor::ledger::account::{Account, AccountKind};
use tresor::ledger::command::Outcome;
use tresor::ledger::money::Amount;
use tresor::ledger::service::{Caller, MoneyRequest};
use tresor::ledger::verify;
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::identity::SignedIn;

/// A signed-in customer whose KYC is approved (opening an account needs it).
pub async fn approved(app: &TestApp) -> SignedIn {
    let customer = app.signed_in().await;
    app.approve_kyc(&customer.user.id).await;
    customer
}

/// A caller of the ledger's service: a fresh user and session, acting as the system.
pub fn caller() -> Caller {
    Caller { user_id: Uuid::now_v7(), session_id: Uuid::now_v7(), actor: Actor::system() }
}

pub fn money(amount: i64) -> MoneyRequest {
    MoneyRequest { amount: Amount::new(amount).unwrap(), description: None }
}

pub async fn open(app: &TestApp, owner: &Caller, currency: &str) -> Account {
    app.state.ledger.open(owner, AccountKind::Checking, currency.parse().unwrap()).await.unwrap()
}

pub async fn deposit(app: &TestApp, owner: &Caller, account: &Account, amount: i64) -> Outcome {
    app.state.ledger.deposit(owner, account.id, money(amount), None).await.unwrap()
}

pub fn slug(outcome: &Outcome) -> String {
    let body: serde_json::Value = serde_json::from_str(&outcome.body).unwrap();
    body["type"].as_str().unwrap_or("").trim_start_matches("/problems/").to_owned()
}

pub fn api_slug(error: tresor::error::Error) -> String {
    match error {
        tresor::error::Error::Rejected(p) => p.kind.trim_start_matches("/problems/").to_owned(),
        other => panic!("expected a problem, got {other:?}"),
    }
}

pub async fn balance(app: &TestApp, owner: &Caller, account: &Account) -> i64 {
    app.state.ledger.owned(owner, account.id).await.unwrap().balance
}

pub async fn assert_books_balance(app: &TestApp) {
    let report = verify::verify(&app.state.db).await.unwrap();
    assert!(report.ok, "{report:?}");
}

/// A session of `caller`'s that passed MFA just now (the step-up rule reads sessions from the
/// database), creating its user row if needed.
pub async fn stepped_up(app: &TestApp, caller: &Caller) -> Uuid {
    let now = tresor::db::time::to_db(tresor::db::time::now());
    let writer = app.state.db.writer();
    sqlx::query(
        "INSERT INTO users (id, full_name, status, mfa_enabled, created_at, updated_at) \
         VALUES ($1, 'Step Up', 'active', 1, $2, $2) ON CONFLICT DO NOTHING",
    )
    .bind(caller.user_id.to_string())
    .bind(&now)
    .execute(writer)
    .await
    .unwrap();
    let session = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO sessions (id, user_id, device_key, mfa, mfa_at, created_at, last_used_at, idle_expires_at, expires_at) \
         VALUES ($1, $2, 'test', 1, $3, $3, $3, $3, $3)",
    )
    .bind(session.to_string())
    .bind(caller.user_id.to_string())
    .bind(&now)
    .execute(writer)
    .await
    .unwrap();
    session
}
