//! The relay in a `tresor worker` process killed with SIGKILL in the middle of a burst: after a
//! restart every event reaches the receiver at least once, in order per account.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use figment::providers::Serialized;
use futures::future::join_all;

use super::receiver::Receiver;
use super::{admin_token, endpoint, quick};
use crate::support::ledger::{caller, deposit, open};
use crate::support::process::Process;
use crate::support::{cli_command, spawn_app_with};

const ACCOUNTS: usize = 10;
const DEPOSITS: usize = 100;

fn worker(app: &crate::support::TestApp, log: &std::path::Path) -> Process {
    let mut command = cli_command(app.data_dir.path(), &app.database.url);
    command
        .env("TRESOR__EVENTS__RELAY_POLL_MS", "20")
        .env("TRESOR__EVENTS__LEASE_SECS", "2")
        .env("TRESOR__EVENTS__RELAY_BATCH", "50")
        .env("TRESOR__WEBHOOKS__POLL_MS", "20")
        .env("TRESOR__WEBHOOKS__TIMEOUT_SECS", "1")
        .env("TRESOR__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .arg("worker");
    Process::start(&mut command, log)
}

#[actix_web::test]
async fn a_worker_killed_mid_burst_loses_no_event_and_keeps_each_account_in_order() {
    // The server relays nothing itself: the worker processes do.
    let app = spawn_app_with(|f| quick(f).merge(Serialized::default("jobs.embedded", false))).await;
    let token = admin_token(&app).await;
    let receiver = Receiver::start(&[]);
    endpoint(&app, &token, &receiver.url, &["transaction.posted"]).await;
    let owner = caller();
    let mut accounts = Vec::new();
    for _ in 0..ACCOUNTS {
        accounts.push(open(&app, &owner, "USD").await);
    }
    // The burst: 1,000 deposits, each account's in order.
    join_all(accounts.iter().map(|account| {
        let (app, owner) = (&app, &owner);
        async move {
            for _ in 0..DEPOSITS {
                assert_eq!(deposit(app, owner, account, 1).await.status, 201);
            }
        }
    }))
    .await;

    let log = app.data_dir.path().join("worker.log");
    let mut first = worker(&app, &log);
    receiver.wait_for(150, Duration::from_secs(60)).await;
    let killed = std::process::Command::new("kill").args(["-KILL", &first.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    first.wait(Duration::from_secs(10)).await;
    let before_restart = receiver.received().len();
    assert!(before_restart < ACCOUNTS * DEPOSITS, "the kill came too late to test anything");

    let mut second = worker(&app, &log);
    crate::support::jobs::eventually(Duration::from_secs(120), "every event delivered", async || {
        receiver.received().iter().map(|r| r.id.clone()).collect::<HashSet<_>>().len() >= ACCOUNTS * DEPOSITS
    })
    .await;
    second.terminate();
    second.wait(Duration::from_secs(30)).await;

    let received = receiver.received();
    let unique: HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(unique.len(), ACCOUNTS * DEPOSITS, "none lost");
    // Per account, the first arrival of each event follows the order of commit (the balance
    // after each deposit grows by one).
    let mut seen = HashSet::new();
    let mut last: HashMap<String, i64> = HashMap::new();
    for r in &received {
        if !seen.insert(r.id.clone()) {
            continue;
        }
        let data = &r.json()["data"];
        let (account, balance) =
            (data["account_id"].as_str().unwrap().to_owned(), data["balance_after"].as_i64().unwrap());
        let previous = last.insert(account.clone(), balance).unwrap_or(0);
        assert_eq!(balance, previous + 1, "account {account} out of order");
    }
    eprintln!(
        "{} requests for {} events ({} before the kill; {} sent again)",
        received.len(),
        unique.len(),
        before_restart,
        received.len() - unique.len()
    );
}
