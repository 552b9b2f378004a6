//! Property test: random interleavings of deposits, withdrawals and transfers from many
//! concurrent clients over several accounts — through two independent ledgers on one database,
//! as two server processes would (one with account actors, one with the row-locking baseline)
//! — with crossing transfers and duplicated
//! idempotency keys. Afterwards the books balance, no customer balance is negative, and every
//! effect happened exactly once.

use std::collections::HashMap;

use proptest::prelude::*;
use tresor::ledger::command::Outcome;
use tresor::ledger::idempotency::scoped;
use tresor::ledger::service::{Caller, Ledger};
use tresor::ledger::verify;

use crate::support::ledger::{caller, money, open};
use crate::support::spawn_app;

#[derive(Clone, Debug)]
enum Op {
    Deposit { account: usize, amount: i64 },
    Withdraw { account: usize, amount: i64 },
    Transfer { from: usize, to: usize, amount: i64 },
}

#[derive(Clone, Debug)]
struct Call {
    op: Op,
    key: Option<u8>,
    /// Which of the two "processes" serves it.
    process: usize,
}

const ACCOUNTS: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    let account = 0..ACCOUNTS;
    let amount = 1_i64..400;
    prop_oneof![
        (account.clone(), amount.clone()).prop_map(|(account, amount)| Op::Deposit { account, amount }),
        (account.clone(), amount.clone()).prop_map(|(account, amount)| Op::Withdraw { account, amount }),
        (account.clone(), account, amount).prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
    ]
}

fn calls() -> impl Strategy<Value = Vec<Call>> {
    let call =
        (op(), proptest::option::of(0_u8..4), 0_usize..2).prop_map(|(op, key, process)| Call { op, key, process });
    (proptest::collection::vec(call, 10..40), proptest::collection::vec(any::<prop::sample::Index>(), 0..10)).prop_map(
        |(mut calls, repeats)| {
            // Repeat some calls verbatim (same key, same request): retries of the same request.
            let copies: Vec<Call> = repeats.iter().map(|i| i.get(&calls).clone()).collect();
            calls.extend(copies);
            calls
        },
    )
}

struct World {
    owners: Vec<Caller>,
    accounts: Vec<tresor::ledger::account::Account>,
}

type Answer = (Option<(String, String)>, Outcome);

async fn run(ledgers: &[&Ledger; 2], world: &World, call: &Call) -> Option<Answer> {
    let (account, body, path) = match &call.op {
        Op::Deposit { account, amount } => {
            (*account, serde_json::json!({"amount": amount}), format!("/v1/accounts/{account}/deposits"))
        }
        Op::Withdraw { account, amount } => {
            (*account, serde_json::json!({"amount": amount}), format!("/v1/accounts/{account}/withdrawals"))
        }
        Op::Transfer { from, to, amount } => {
            (*from, serde_json::json!({"to": to, "amount": amount}), "/v1/transfers".to_owned())
        }
    };
    let owner = &world.owners[account];
    let key_name = call.key.map(|k| format!("key-{k}"));
    let key = key_name.as_ref().map(|k| scoped(owner.user_id, k, "POST", &path, &body));
    let identity = key.as_ref().map(|k| (k.scope.clone(), k.fingerprint.clone()));
    let ledger = ledgers[call.process];
    let id = world.accounts[account].id;
    let result = match &call.op {
        Op::Deposit { amount, .. } => ledger.deposit(owner, id, money(*amount), key).await,
        Op::Withdraw { amount, .. } => ledger.withdraw(owner, id, money(*amount), key).await,
        Op::Transfer { to, amount, .. } => {
            ledger.transfer(owner, id, world.accounts[*to].number.as_str(), money(*amount), key).await
        }
    };
    // Refusals before the actor (same account, key reused with another body) move nothing.
    result.ok().map(|outcome| (identity, outcome))
}

async fn scenario(calls: Vec<Call>) {
    let app = spawn_app().await;
    // The second "process" runs the baseline engine (row locks, no actors): both must agree.
    let mut locked = app.state.ledger.settings().clone();
    locked.engine = tresor::config::LedgerEngine::Locked;
    let second = Ledger::start(
        app.state.db.clone(),
        locked,
        app.state.keys.clone(),
        app.state.step_up.clone(),
        app.state.reads.clone(),
    );
    let ledgers = [&app.state.ledger, &second];
    // Two owners with two accounts each, so transfers cross between users and within one.
    let owners = [caller(), caller()];
    let mut world = World { owners: Vec::new(), accounts: Vec::new() };
    for index in 0..ACCOUNTS {
        let owner = owners[index % 2].clone();
        world.accounts.push(open(&app, &owner, "USD").await);
        world.owners.push(owner);
    }
    let outcomes: Vec<_> = futures::future::join_all(calls.iter().map(|call| run(&ledgers, &world, call)))
        .await
        .into_iter()
        .flatten()
        .collect();

    let report = verify::verify(&app.state.db).await.unwrap();
    assert!(report.ok, "{report:?}");
    let negative: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = 0 AND balance < 0")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(negative, 0);

    // Exactly once: every fresh 201 is one journal entry, and every answer to one key is the same.
    let fresh = outcomes.iter().filter(|(_, o)| o.status == 201 && !o.replayed).count() as i64;
    let entries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries").fetch_one(app.state.db.reader()).await.unwrap();
    assert_eq!(entries, fresh, "one entry per effect");
    // One request per key: a second request under a used key is refused, never executed.
    // Every answer to one key and request is the same, byte for byte.
    let mut request_of: HashMap<&str, &str> = HashMap::new();
    let mut answer_of: HashMap<(&str, &str), &Outcome> = HashMap::new();
    for (identity, outcome) in &outcomes {
        let Some((scope, fingerprint)) = identity else { continue };
        if outcome.body.contains("idempotency-key-reused") {
            continue;
        }
        let request = *request_of.entry(scope).or_insert(fingerprint);
        assert_eq!(request, fingerprint, "two different requests executed under {scope}");
        let first = *answer_of.entry((scope, fingerprint)).or_insert(outcome);
        assert_eq!((first.status, &first.body), (outcome.status, &outcome.body), "answers differ for {scope}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_concurrent_money_movements_keep_the_books(calls in calls()) {
        actix_web::rt::System::new().block_on(scenario(calls));
    }
}
