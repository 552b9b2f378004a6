//! Group commits that pay many accounts at once (a busy account's batch): each recipient is
//! credited once with the sum of its transfers, and crossing batches cannot deadlock — on the
//! test's database (SQLite or PostgreSQL).

use tresor::audit::Actor;
use tresor::ledger::account::Account;
use tresor::ledger::command::{Command, Movement};
use tresor::ledger::commit::LedgerStore;
use tresor::ledger::money::Amount;
use tresor::ledger::service::Caller;
use tresor_actors::AccountStore;

use crate::helpers::{TestApp, spawn_app};
use crate::ledger::{assert_books_balance, caller, deposit, open};

fn store(app: &TestApp) -> LedgerStore {
    LedgerStore { db: app.state.db.clone(), limits: app.state.ledger.settings().clone(), keys: app.state.keys.clone() }
}

fn transfer(from: &Caller, to: &Account, amount: i64) -> Command {
    Command {
        movement: Movement::Transfer,
        amount: Amount::new(amount).unwrap(),
        currency: to.currency,
        counter_account: to.id,
        counter_number: Some(to.number.to_string()),
        description: None,
        initiated_by: from.user_id,
        idempotency: None,
        actor: Actor::system(),
    }
}

async fn balance(app: &TestApp, account: &Account) -> i64 {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(account.id.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

async fn funded(app: &TestApp, count: usize, amount: i64) -> (Vec<Caller>, Vec<Account>) {
    let owners: Vec<Caller> = (0..count).map(|_| caller()).collect();
    let mut accounts = Vec::new();
    for owner in &owners {
        let account = open(app, owner, "USD").await;
        if amount > 0 {
            assert_eq!(deposit(app, owner, &account, amount).await.status, 201);
        }
        accounts.push(account);
    }
    (owners, accounts)
}

#[actix_web::test]
async fn one_batch_paying_many_accounts_credits_each_once_with_its_sum() {
    let app = spawn_app().await;
    let (owners, accounts) = funded(&app, 8, 0).await;
    deposit(&app, &owners[0], &accounts[0], 10_000).await;
    // Seven recipients, the first of them twice: eight transfers, seven credited rows.
    let mut batch: Vec<Command> = accounts[1..].iter().map(|to| transfer(&owners[0], to, 100)).collect();
    batch.push(transfer(&owners[0], &accounts[1], 50));
    let committed = store(&app).commit(accounts[0].id, None, batch).await.unwrap();
    for outcome in &committed.outcomes {
        let outcome = outcome.as_ref().unwrap();
        assert_eq!(outcome.status, 201, "{}", outcome.body);
    }
    assert_eq!(balance(&app, &accounts[0]).await, 10_000 - 750);
    assert_eq!(balance(&app, &accounts[1]).await, 150);
    for account in &accounts[2..] {
        assert_eq!(balance(&app, account).await, 100);
    }
    // Each recipient's postings carry the running balance, in order.
    let after: Vec<i64> = sqlx::query_scalar("SELECT balance_after FROM postings WHERE account_id = $1 ORDER BY seq")
        .bind(accounts[1].id.to_string())
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(after, [100, 150]);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn crossing_batches_that_pay_many_accounts_neither_deadlock_nor_lose_money() {
    let app = spawn_app().await;
    const N: usize = 6;
    let (owners, accounts) = funded(&app, N, 1_000_000).await;
    let store = store(&app);
    for round in 0..10 {
        // Every account pays every other in one batch, all batches at once.
        let batches = (0..N).map(|from| {
            let batch: Vec<Command> = (0..N)
                .filter(|to| *to != from)
                .map(|to| transfer(&owners[from], &accounts[to], 1 + (round * N + to) as i64))
                .collect();
            store.commit(accounts[from].id, None, batch)
        });
        for committed in futures::future::join_all(batches).await {
            for outcome in committed.unwrap().outcomes {
                assert_eq!(outcome.unwrap().status, 201);
            }
        }
    }
    let mut total = 0;
    for account in &accounts {
        total += balance(&app, account).await;
    }
    assert_eq!(total, 1_000_000 * N as i64, "transfers move money, they do not make or lose it");
    assert_books_balance(&app).await;
}
