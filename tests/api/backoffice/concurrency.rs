//! Races: two staff approving one reversal at once, a reversal racing a withdrawal that empties
//! the credited account, and a property run mixing transfers, reversals, freezes and closes —
//! after which the books verify and every reversal nets its original to zero.

use proptest::prelude::*;
use serde_json::json;
use tresor::audit::Actor;
use tresor::identity::Role;
use tresor::ledger::account::Account;
use tresor::reason::{REASON_MAX, Reason};
use uuid::Uuid;

use crate::support::backoffice::Customer;
use crate::support::ledger::{assert_books_balance, balance, money};
use crate::support::{TestApp, spawn_app};

async fn reversals_netting_nonzero(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT r.reverses, p.account_id FROM reversals r \
         JOIN postings p ON p.entry_id = r.entry_id OR p.entry_id = r.reverses \
         GROUP BY r.reverses, p.account_id HAVING SUM(p.amount) <> 0) AS unbalanced",
    )
    .fetch_one(app.state.db.reader())
    .await
    .unwrap()
}

#[actix_web::test]
async fn two_staff_approving_one_reversal_at_once_post_one_compensating_entry() {
    let app = spawn_app().await;
    let requester = app.staff_with_mfa(&[Role::Admin]).await;
    let (one, two) = (app.staff_with_mfa(&[Role::Admin]).await, app.staff_with_mfa(&[Role::Admin]).await);
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    for round in 0..4 {
        let entry = app.transferred(&alice, &a, &b, 1_000).await;
        let (_, request) = app
            .staff_post(&format!("/v1/admin/transactions/{entry}/reverse"), &requester.token, json!({"reason": "race"}))
            .await;
        let approve = format!("/v1/admin/approvals/{}/approve", request["id"].as_str().unwrap());
        let ((first, _), (second, _)) = futures::join!(
            app.staff_post(&approve, &one.token, json!({})),
            app.staff_post(&approve, &two.token, json!({}))
        );
        let mut statuses = [first, second];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reversals").await, 4);
    assert_eq!((balance(&app, &alice.caller, &a).await, balance(&app, &bob.caller, &b).await), (10_000, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_requests WHERE status = 'approved'").await, 4);
    assert_eq!(reversals_netting_nonzero(&app).await, 0);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn a_reversal_racing_a_withdrawal_that_empties_the_account_never_overdraws() {
    let app = spawn_app().await;
    let (requester, approver) = (app.staff_with_mfa(&[Role::Admin]).await, app.staff_with_mfa(&[Role::Admin]).await);
    let (alice, bob) = (app.customer().await, app.customer().await);
    let a = app.funded(&alice, "USD", 10_000).await;
    let b = app.funded(&bob, "USD", 0).await;
    let mut reversed = 0;
    for _ in 0..5 {
        let entry = app.transferred(&alice, &a, &b, 1_500).await;
        let (_, request) = app
            .staff_post(&format!("/v1/admin/transactions/{entry}/reverse"), &requester.token, json!({"reason": "race"}))
            .await;
        let approve = format!("/v1/admin/approvals/{}/approve", request["id"].as_str().unwrap());
        let ((approved, body), withdrawn) = futures::join!(
            app.staff_post(&approve, &approver.token, json!({})),
            app.state.ledger.withdraw(&bob.caller, b.id, money(1_500), None)
        );
        let withdrawn = withdrawn.unwrap().status;
        match (approved, withdrawn) {
            (200, 422) => reversed += 1,
            (422, 201) => assert_eq!(body["type"], "/problems/insufficient-funds"),
            other => panic!("exactly one of them takes the money: {other:?} {body}"),
        }
        assert_eq!(balance(&app, &bob.caller, &b).await, 0);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reversals").await, reversed);
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE balance < 0 AND is_system = 0").await, 0);
    assert_books_balance(&app).await;
}

#[derive(Clone, Debug)]
enum Op {
    Transfer {
        from: usize,
        to: usize,
        amount: i64,
    },
    /// Reverses the n-th transfer made so far (if any).
    Reverse(usize),
    Freeze(usize),
    Unfreeze(usize),
    Close {
        account: usize,
        into: usize,
    },
}

const ACCOUNTS: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    let account = 0..ACCOUNTS;
    prop_oneof![
        4 => (account.clone(), account.clone(), 1_i64..600).prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        3 => (0_usize..16).prop_map(Op::Reverse),
        1 => account.clone().prop_map(Op::Freeze),
        1 => account.clone().prop_map(Op::Unfreeze),
        1 => (account.clone(), account).prop_map(|(account, into)| Op::Close { account, into }),
    ]
}

struct World {
    owner: Customer,
    accounts: Vec<Account>,
    entries: tokio::sync::Mutex<Vec<Uuid>>,
}

async fn run(app: &TestApp, world: &World, op: &Op) {
    let (ledger, actor) = (&app.state.ledger, Actor::system());
    let reason = Reason::parse("reason", Some("property run"), REASON_MAX).unwrap();
    let account = |i: usize| &world.accounts[i];
    match op {
        Op::Transfer { from, to, amount } => {
            let sent = ledger.transfer(
                &world.owner.caller,
                account(*from).id,
                account(*to).number.as_str(),
                money(*amount),
                None,
            );
            if let Ok(outcome) = sent.await
                && outcome.status == 201
            {
                world.entries.lock().await.push(crate::support::backoffice::entry_id(&outcome.body));
            }
        }
        Op::Reverse(n) => {
            let entry = world.entries.lock().await.get(*n).copied();
            if let Some(entry) = entry {
                let _ = ledger.reverse(&actor, entry, None).await;
            }
        }
        Op::Freeze(i) => drop(ledger.freeze(&actor, account(*i).id, &reason).await),
        Op::Unfreeze(i) => drop(ledger.unfreeze(&actor, account(*i).id, &reason).await),
        Op::Close { account: i, into } => {
            drop(ledger.close(&actor, account(*i).id, &reason, Some(&account(*into).number)).await)
        }
    }
}

async fn scenario(ops: Vec<Op>) {
    let app = spawn_app().await;
    let owner = app.customer().await;
    let mut accounts = Vec::new();
    for _ in 0..ACCOUNTS {
        accounts.push(app.funded(&owner, "USD", 2_000).await);
    }
    let world = World { owner, accounts, entries: tokio::sync::Mutex::new(Vec::new()) };
    // Half first (so reversals find transfers), then the rest all at once.
    let (early, late) = ops.split_at(ops.len() / 2);
    futures::future::join_all(early.iter().map(|op| run(&app, &world, op))).await;
    futures::future::join_all(late.iter().map(|op| run(&app, &world, op))).await;

    let verify = app.cli(&["ledger", "verify"]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE balance < 0 AND is_system = 0").await, 0);
    assert_eq!(reversals_netting_nonzero(&app).await, 0, "every reversal nets its original to zero");
    let twice: i64 = app
        .count("SELECT COUNT(*) FROM (SELECT reverses FROM reversals GROUP BY reverses HAVING COUNT(*) > 1) AS t")
        .await;
    assert_eq!(twice, 0);
    let total: i64 =
        app.count("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts WHERE is_system = 0").await;
    assert_eq!(total, 2_000 * ACCOUNTS as i64, "money only moves between the owner's accounts");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn transfers_reversals_freezes_and_closes_mixed_at_random_keep_the_books(ops in proptest::collection::vec(op(), 10..40)) {
        actix_web::rt::System::new().block_on(scenario(ops));
    }
}
