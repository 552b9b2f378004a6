//! Group commits: a busy account's batch paying many accounts (each recipient credited once with
//! the sum of its transfers), crossing batches that cannot deadlock, and one transaction carrying
//! the batches of several accounts (the combiner's) — on the test's database (SQLite or
//! PostgreSQL).

use tresor::audit::Actor;
use tresor::ledger::account::{Account, AccountStatus};
use tresor::ledger::command::{Command, Movement};
use tresor::ledger::commit::{Job, LedgerStore};
use tresor::ledger::flags::Velocity;
use tresor::ledger::money::Amount;
use tresor::ledger::plan::Snapshot;
use tresor::ledger::service::Caller;
use tresor_actors::AccountStore;

use figment::providers::Serialized;

use crate::support::ledger::{assert_books_balance, caller, deposit, money, open};
use crate::support::{TestApp, spawn_app, spawn_app_with};

fn store(app: &TestApp) -> LedgerStore {
    LedgerStore::new(
        app.state.db.clone(),
        app.state.ledger.settings().clone(),
        app.state.keys.clone(),
        app.state.reads.clone(),
    )
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
        reverses: None,
        hold: None,
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

fn job(account: &Account, cached: Option<Snapshot>, batch: Vec<Command>) -> Job {
    Job { account: account.id, cached, batch }
}

async fn count_transfers(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE kind = 'transfer'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

#[actix_web::test]
async fn one_transaction_carries_the_batches_of_several_accounts() {
    let app = spawn_app().await;
    let (owners, accounts) = funded(&app, 4, 1_000).await;
    // A ring (each account pays the next) and one account paying two others: every account is
    // debited by its own batch and credited by another's in the same transaction.
    let jobs = vec![
        job(&accounts[0], None, vec![transfer(&owners[0], &accounts[1], 100)]),
        job(&accounts[1], None, vec![transfer(&owners[1], &accounts[2], 50), transfer(&owners[1], &accounts[3], 5)]),
        job(&accounts[2], None, vec![transfer(&owners[2], &accounts[3], 25)]),
        job(&accounts[3], None, vec![transfer(&owners[3], &accounts[0], 10)]),
    ];
    let results = store(&app).attempt(&jobs).await.unwrap_or_else(|_| panic!("the shared transaction commits"));
    for committed in &results {
        let committed = committed.as_ref().expect("no batch is stale");
        for outcome in &committed.outcomes {
            assert_eq!(outcome.as_ref().unwrap().status, 201);
        }
    }
    let balances: Vec<i64> = futures::future::join_all(accounts.iter().map(|a| balance(&app, a))).await;
    assert_eq!(balances, [1_000 - 100 + 10, 1_000 + 100 - 55, 1_000 + 50 - 25, 1_000 + 5 + 25 - 10]);
    // The snapshot each actor keeps is its own account after its own batch.
    let kept = results[1].as_ref().unwrap().snapshot.as_ref().unwrap();
    assert_eq!(kept.balance, 1_000 - 55, "credits from other batches only make a cache too low, never too high");
    assert_eq!(count_transfers(&app).await, 5);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn a_stale_batch_in_a_shared_transaction_writes_nothing_while_the_others_commit() {
    let app = spawn_app().await;
    let (owners, accounts) = funded(&app, 3, 1_000).await;
    // The first actor's cache names a version another process has since moved past.
    let stale = Snapshot {
        account: accounts[0].id,
        balance: 1_000,
        held: 0,
        version: 12_345,
        status: AccountStatus::Open,
        day: chrono::Utc::now().date_naive(),
        outgoing_today: 0,
        velocity: Velocity::default(),
        number: accounts[0].number.to_string(),
    };
    let jobs = vec![
        job(&accounts[0], Some(stale), vec![transfer(&owners[0], &accounts[2], 300)]),
        job(&accounts[1], None, vec![transfer(&owners[1], &accounts[2], 200)]),
    ];
    let results = store(&app).attempt(&jobs).await.unwrap_or_else(|_| panic!("the shared transaction commits"));
    assert!(results[0].is_none(), "the fenced debit matched no row: decide it again");
    assert_eq!(results[1].as_ref().unwrap().outcomes[0].as_ref().unwrap().status, 201);
    assert_eq!(balance(&app, &accounts[0]).await, 1_000, "nothing of the stale batch was written");
    assert_eq!(balance(&app, &accounts[2]).await, 1_200, "only the other batch's credit arrived");
    assert_eq!(count_transfers(&app).await, 1);
    assert_books_balance(&app).await;
}

/// 300 concurrent transfers over 20 accounts through the ledger service: each takes effect once
/// and the books balance, with the batches of many accounts committed together or each alone.
#[actix_web::test]
async fn transfers_spread_over_many_accounts_at_once_each_take_effect_once() {
    let app = spawn_app().await;
    spread_transfers(&app).await;
    let metrics = app.metrics().await.text().await.unwrap();
    assert!(metrics.contains("ledger_combined_batches"), "the shared transactions are measured");
    assert!(metrics.contains("ledger_group_commit_size"));
}

#[actix_web::test]
async fn transfers_spread_over_many_accounts_each_take_effect_once_without_the_combiner() {
    spread_transfers(&spawn_app_with(|f| f.merge(Serialized::default("ledger.committers", 0))).await).await;
}

async fn spread_transfers(app: &TestApp) {
    const N: usize = 20;
    let (owners, accounts) = funded(app, N, 10_000).await;
    let ledger = &app.state.ledger;
    let transfers = (0..300).map(|n| {
        let (from, to) = (n % N, (n * 7 + 3) % N);
        let to = if to == from { (to + 1) % N } else { to };
        let (owner, source, destination) = (&owners[from], &accounts[from], &accounts[to]);
        async move { ledger.transfer(owner, source.id, destination.number.as_str(), money(1 + n as i64), None).await }
    });
    let outcomes = futures::future::join_all(transfers).await;
    let created = outcomes.iter().filter(|o| o.as_ref().is_ok_and(|o| o.status == 201)).count();
    assert_eq!(created, 300, "{:?}", outcomes.iter().find(|o| !o.as_ref().is_ok_and(|o| o.status == 201)));
    assert_eq!(count_transfers(app).await, 300);
    let mut total = 0;
    for account in &accounts {
        let balance = balance(app, account).await;
        assert!(balance >= 0);
        total += balance;
    }
    assert_eq!(total, 10_000 * N as i64);
    assert_books_balance(app).await;
}
