//! The ledger across processes, over HTTP: two `tresor serve` processes on one PostgreSQL moving
//! money between the same accounts, and a server killed with SIGKILL in the middle of a load
//! run and restarted. After each: the books balance, no customer balance is negative, and every
//! transfer a client saw acknowledged is in the ledger, exactly once.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::identity::{Running, server_process};
use crate::support::{TestApp, spawn_app_with};

const FUNDS: i64 = 10_000;

struct Customer {
    token: String,
    account: String,
    number: String,
}

fn tuned(figment: figment::Figment) -> figment::Figment {
    use figment::providers::Serialized;
    figment
        .merge(Serialized::default("rate_limits.transfers", "off"))
        .merge(Serialized::default("jobs.embedded", false))
}

/// The same settings for a server process.
fn process_env() -> Vec<(&'static str, String)> {
    vec![("TRESOR__RATE_LIMITS__TRANSFERS", "off".into()), ("TRESOR__JOBS__EMBEDDED", "false".into())]
}

/// `n` approved customers, each with one USD account holding `FUNDS`.
async fn customers(app: &TestApp, n: usize) -> Vec<Customer> {
    let mut out = Vec::new();
    for _ in 0..n {
        let signed = app.signed_in().await;
        app.approve_kyc(&signed.user.id).await;
        let opened =
            app.post_authed("/v1/accounts", &signed.access, &json!({"kind": "checking", "currency": "USD"})).await;
        assert_eq!(opened.status(), 201);
        let account: Value = opened.json().await.unwrap();
        let (id, number) = (account["id"].as_str().unwrap().to_owned(), account["number"].as_str().unwrap().to_owned());
        let deposit = app
            .client
            .post(app.url(&format!("/v1/accounts/{id}/deposits")))
            .bearer_auth(&signed.access)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"amount": FUNDS}))
            .send()
            .await
            .unwrap();
        assert_eq!(deposit.status(), 201);
        out.push(Customer { token: signed.access, account: id, number });
    }
    out
}

/// One planned transfer: who pays whom how much, under which key.
#[derive(Clone)]
struct Planned {
    key: String,
    from: usize,
    to: usize,
    amount: i64,
}

/// Crossing transfers between every pair, amounts 1..=700 (some will not be covered).
fn plan(customers: usize, count: usize) -> Vec<Planned> {
    (0..count)
        .map(|i| {
            let from = i % customers;
            let to = (from + 1 + (i / customers) % (customers - 1)) % customers;
            Planned { key: format!("load-{i}"), from, to, amount: 1 + (i as i64 * 7919) % 700 }
        })
        .collect()
}

/// What one attempt got back: the status and, for a 201, the transaction id.
type Answer = Option<(u16, Option<String>)>;

async fn send(app: &TestApp, base: &str, customers: &[Customer], planned: &Planned) -> Answer {
    let (from, to) = (&customers[planned.from], &customers[planned.to]);
    let body = json!({"from_account_id": from.account, "to_account_number": to.number, "amount": planned.amount});
    let response = app
        .client
        .post(format!("{base}/v1/transfers"))
        .bearer_auth(&from.token)
        .header("Idempotency-Key", &planned.key)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.ok()?;
    if status >= 500 {
        eprintln!("{}: {status} {body}", planned.key);
    }
    Some((status, body["id"].as_str().map(str::to_owned)))
}

/// The books balance, nothing is negative, money is conserved, and the transfers in the ledger
/// are exactly the acknowledged ones (`acknowledged`: key → transaction id).
async fn assert_invariants(app: &TestApp, customers: usize, acknowledged: &BTreeMap<String, String>) {
    let report = tresor::ledger::verify::verify(&app.state.db).await.unwrap();
    assert!(report.ok, "{report:?}");
    let cli = app.cli(&["ledger", "verify"]);
    assert_eq!(cli.status.code(), Some(0), "{}", String::from_utf8_lossy(&cli.stdout));
    let total: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts WHERE is_system = 0")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(total, FUNDS * customers as i64, "transfers conserve money");
    let negative: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = 0 AND balance < 0")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(negative, 0);
    let in_ledger: BTreeSet<String> = sqlx::query_scalar("SELECT id FROM journal_entries WHERE kind = 'transfer'")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap()
        .into_iter()
        .collect();
    let acknowledged_ids: BTreeSet<String> = acknowledged.values().cloned().collect();
    assert_eq!(acknowledged_ids.len(), acknowledged.len(), "every key has its own transaction");
    assert_eq!(in_ledger, acknowledged_ids, "the ledger holds exactly the acknowledged transfers");
}

/// Two server processes on one PostgreSQL take crossing transfers between the same accounts,
/// a quarter of them sent to both at once under one key.
#[actix_web::test]
async fn two_server_processes_on_one_postgres_keep_the_books() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let app = spawn_app_with(tuned).await;
    let customers = customers(&app, 6).await;
    let (_second, second) = server_process(&app, &process_env()).await;
    let planned = plan(customers.len(), 400);
    let attempts: Vec<(String, &Planned)> = planned
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let first = if i % 2 == 0 { app.address.clone() } else { second.clone() };
            let twice = (i % 4 == 0).then(|| (if i % 2 == 0 { second.clone() } else { app.address.clone() }, p));
            std::iter::once((first, p)).chain(twice)
        })
        .collect();
    let answers: Vec<(String, Answer)> = futures::stream::iter(attempts)
        .map(|(base, p)| {
            let (app, customers) = (&app, &customers);
            async move { (p.key.clone(), send(app, &base, customers, p).await) }
        })
        .buffer_unordered(24)
        .collect()
        .await;

    let mut acknowledged = BTreeMap::new();
    for (key, answer) in answers {
        let (status, id) = answer.unwrap_or_else(|| panic!("{key}: no answer"));
        assert!([201, 409, 422].contains(&status), "{key}: {status}");
        if status == 201 {
            let id = id.unwrap();
            let earlier = acknowledged.insert(key.clone(), id.clone());
            assert!(earlier.is_none_or(|e| e == id), "{key}: two different transactions for one key");
        }
    }
    assert!(acknowledged.len() > 100, "most transfers went through ({})", acknowledged.len());
    assert_invariants(&app, customers.len(), &acknowledged).await;
}

/// A server killed with SIGKILL in the middle of a load run, then restarted: every transfer that
/// was acknowledged before the kill is in the ledger, clients retrying the unanswered ones with
/// the same keys get one effect each, and `tresor ledger verify` passes.
#[actix_web::test]
async fn a_server_killed_mid_load_loses_no_acknowledged_transfer() {
    let app = spawn_app_with(tuned).await;
    let customers = customers(&app, 6).await;
    let planned = plan(customers.len(), 600);
    let (server, base) = server_process(&app, &process_env()).await;

    let acknowledged_before_kill = Cell::new(0usize);
    let server = Cell::new(Some(server));
    let answers: Vec<(usize, Answer)> = futures::stream::iter(planned.iter().enumerate())
        .map(|(i, p)| {
            let (app, base, customers) = (&app, &base, &customers);
            let (counter, server) = (&acknowledged_before_kill, &server);
            async move {
                let answer = send(app, base, customers, p).await;
                if matches!(answer, Some((201, _))) {
                    counter.set(counter.get() + 1);
                    if counter.get() == 150 {
                        kill(server.take());
                    }
                }
                (i, answer)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    kill(server.take());
    let unanswered: Vec<usize> = answers.iter().filter(|(_, a)| a.is_none()).map(|(i, _)| *i).collect();
    assert!(!unanswered.is_empty(), "the kill landed mid-run");

    let mut acknowledged = BTreeMap::new();
    for (i, answer) in &answers {
        if let Some((201, Some(id))) = answer {
            acknowledged.insert(planned[*i].key.clone(), id.clone());
        }
    }
    let in_ledger = |ids: Vec<String>| ids.into_iter().collect::<BTreeSet<_>>();
    let after_kill = in_ledger(
        sqlx::query_scalar("SELECT id FROM journal_entries WHERE kind = 'transfer'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap(),
    );
    for (key, id) in &acknowledged {
        assert!(after_kill.contains(id), "{key} was acknowledged as {id} but is not in the ledger");
    }

    let (_restarted, base) = server_process(&app, &process_env()).await;
    for i in unanswered {
        let (status, id) = send(&app, &base, &customers, &planned[i]).await.expect("the restarted server answers");
        assert!([201, 422].contains(&status), "retry of {}: {status}", planned[i].key);
        if let (201, Some(id)) = (status, id) {
            acknowledged.insert(planned[i].key.clone(), id);
        }
    }
    assert_invariants(&app, customers.len(), &acknowledged).await;
}

fn kill(server: Option<Running>) {
    if let Some(mut server) = server {
        server.0.kill().unwrap(); // SIGKILL
        server.0.wait().unwrap();
    }
}
