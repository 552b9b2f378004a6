//! The ledger through its service, on the test's database: every rule, every refusal, and the
//! books after concurrent load.

use tresor::ledger::command::Outcome;
use tresor::ledger::idempotency::scoped;
use tresor::ledger::{history, verify};
use uuid::Uuid;

use crate::support::ledger::{api_slug, assert_books_balance, balance, caller, deposit, money, open, slug, stepped_up};
use crate::support::{TestApp, spawn_app};

#[actix_web::test]
async fn deposits_withdrawals_and_transfers_post_balanced_entries() {
    let app = spawn_app().await;
    let (alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    let first = deposit(&app, &alice, &a, 10_000).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let body: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["kind"], "deposit");
    assert_eq!(body["balance_after"], 10_000);
    assert!(body["reference"].as_str().unwrap().starts_with("TX-"));

    let out = app.state.ledger.withdraw(&alice, a.id, money(2_500), None).await.unwrap();
    assert_eq!(
        (out.status, serde_json::from_str::<serde_json::Value>(&out.body).unwrap()["balance_after"].as_i64()),
        (201, Some(7_500))
    );
    let sent = app.state.ledger.transfer(&alice, a.id, b.number.as_str(), money(500), None).await.unwrap();
    let sent: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(sent["kind"], "transfer_out");
    assert_eq!(sent["counterparty_number"], b.number.as_str());
    assert_eq!((balance(&app, &alice, &a).await, balance(&app, &bob, &b).await), (7_000, 500));

    let page = history::page(&app.state.db, b.id, 10, None, &history::Range::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].kind, tresor::ledger::transaction::TransactionKind::TransferIn);
    assert_eq!(page.items[0].counterparty_number.as_deref(), Some(a.number.as_str()));
    assert_eq!(page.items[0].reference, sent["reference"]);
    let alice_page = history::page(&app.state.db, a.id, 2, None, &history::Range::default()).await.unwrap();
    assert_eq!(alice_page.items.iter().map(|t| t.balance_after).collect::<Vec<_>>(), [7_000, 7_500], "newest first");
    let older = history::page(
        &app.state.db,
        a.id,
        2,
        alice_page.next_cursor.as_ref().map(|c| c.parse().unwrap()),
        &history::Range::default(),
    )
    .await
    .unwrap();
    assert_eq!(older.items.len(), 1);
    assert!(older.next_cursor.is_none());
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn every_refusal_has_its_slug_and_moves_nothing() {
    let app = spawn_app().await;
    let (alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    let euros = open(&app, &bob, "EUR").await;
    deposit(&app, &alice, &a, 1_000).await;
    let ledger = &app.state.ledger;

    assert_eq!(slug(&ledger.withdraw(&alice, a.id, money(1_001), None).await.unwrap()), "insufficient-funds");
    let too_big = ledger.settings().max_transaction + 1;
    assert_eq!(slug(&ledger.deposit(&alice, a.id, money(too_big), None).await.unwrap()), "limit-exceeded");
    let refused = |r: Result<Outcome, tresor::error::Error>| api_slug(r.unwrap_err());
    assert_eq!(
        refused(ledger.transfer(&alice, a.id, euros.number.as_str(), money(1), None).await),
        "currency-mismatch"
    );
    assert_eq!(refused(ledger.transfer(&alice, a.id, a.number.as_str(), money(1), None).await), "same-account");
    assert_eq!(refused(ledger.transfer(&alice, a.id, "123456789012", money(1), None).await), "invalid-account-number");
    let mut typo = b.number.as_str().to_owned().into_bytes();
    typo[0] = if typo[0] == b'9' { b'0' } else { typo[0] + 1 };
    let typo = String::from_utf8(typo).unwrap();
    assert_eq!(refused(ledger.transfer(&alice, a.id, &typo, money(1), None).await), "invalid-account-number");
    let step_up = ledger.settings().step_up_threshold + 1;
    assert_eq!(
        refused(ledger.transfer(&alice, a.id, b.number.as_str(), money(step_up), None).await),
        "mfa-step-up-required"
    );
    // Another user's account is indistinguishable from a missing one.
    assert_eq!(refused(ledger.deposit(&bob, a.id, money(1), None).await), "not-found");
    assert_eq!(refused(ledger.withdraw(&alice, Uuid::now_v7(), money(1), None).await), "not-found");

    assert_eq!(balance(&app, &alice, &a).await, 1_000);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn step_up_is_satisfied_by_a_session_that_passed_mfa() {
    let app = spawn_app().await;
    let (mut alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    let big = app.state.ledger.settings().step_up_threshold + 1;
    deposit(&app, &alice, &a, big).await;
    alice.session_id = stepped_up(&app, &alice).await;
    let sent = app.state.ledger.transfer(&alice, a.id, b.number.as_str(), money(big), None).await.unwrap();
    assert_eq!(sent.status, 201);
}

#[actix_web::test]
async fn a_replayed_large_transfer_gets_its_saved_response_without_a_fresh_step_up() {
    let app = spawn_app().await;
    let (mut alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    let big = app.state.ledger.settings().step_up_threshold + 1;
    deposit(&app, &alice, &a, big).await;
    let body = serde_json::json!({"from_account_id": a.id, "to_account_number": b.number, "amount": big});
    let key = || Some(scoped(alice.user_id, "big-1", "POST", "/v1/transfers", &body));
    alice.session_id = stepped_up(&app, &alice).await;
    let sent = app.state.ledger.transfer(&alice, a.id, b.number.as_str(), money(big), key()).await.unwrap();
    assert_eq!(sent.status, 201, "{}", sent.body);
    // Another session of hers, which has not stepped up.
    alice.session_id = Uuid::now_v7();
    let again = app.state.ledger.transfer(&alice, a.id, b.number.as_str(), money(big), key()).await.unwrap();
    assert!(again.replayed);
    assert_eq!((again.status, &again.body), (201, &sent.body));
    assert_eq!(balance(&app, &bob, &b).await, big, "one effect");
    // A new key is a new request, and this session has not stepped up.
    let fresh = Some(scoped(alice.user_id, "big-2", "POST", "/v1/transfers", &body));
    let refused = app.state.ledger.transfer(&alice, a.id, b.number.as_str(), money(big), fresh).await;
    assert_eq!(api_slug(refused.unwrap_err()), "mfa-step-up-required");
}

#[actix_web::test]
async fn daily_outgoing_limit_counts_withdrawals_and_transfers_together() {
    let app = spawn_app_with_limits(300, 500).await;
    let (alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    for _ in 0..4 {
        deposit(&app, &alice, &a, 300).await;
    }
    let ledger = &app.state.ledger;
    assert_eq!(ledger.withdraw(&alice, a.id, money(300), None).await.unwrap().status, 201);
    assert_eq!(
        slug(&ledger.transfer(&alice, a.id, b.number.as_str(), money(201), None).await.unwrap()),
        "limit-exceeded"
    );
    assert_eq!(ledger.transfer(&alice, a.id, b.number.as_str(), money(200), None).await.unwrap().status, 201);
    assert_eq!(slug(&ledger.withdraw(&alice, a.id, money(1), None).await.unwrap()), "limit-exceeded");
}

async fn spawn_app_with_limits(max_transaction: i64, daily: i64) -> TestApp {
    use figment::providers::Serialized;
    crate::support::spawn_app_with(|f| {
        f.merge(Serialized::default("ledger.max_transaction", max_transaction))
            .merge(Serialized::default("ledger.daily_outgoing", daily))
    })
    .await
}

#[actix_web::test]
async fn a_frozen_account_takes_deposits_but_refuses_debits() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 100).await;
    sqlx::query("UPDATE accounts SET status = 'frozen', version = version + 1 WHERE id = $1")
        .bind(a.id.to_string())
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_eq!(slug(&app.state.ledger.withdraw(&alice, a.id, money(10), None).await.unwrap()), "account-frozen");
    assert_eq!(deposit(&app, &alice, &a, 10).await.status, 201);
}

#[actix_web::test]
async fn the_same_key_and_request_replays_the_first_response_and_another_request_is_refused() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    let body = serde_json::json!({"amount": 700});
    let path = format!("/v1/accounts/{}/deposits", a.id);
    let key = || Some(scoped(alice.user_id, "k-1", "POST", &path, &body));
    let first = app.state.ledger.deposit(&alice, a.id, money(700), key()).await.unwrap();
    let again = app.state.ledger.deposit(&alice, a.id, money(700), key()).await.unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!((first.status, &first.body), (again.status, &again.body), "byte-identical replay");
    assert_eq!(balance(&app, &alice, &a).await, 700, "one effect");

    let other = Some(scoped(alice.user_id, "k-1", "POST", &path, &serde_json::json!({"amount": 701})));
    let reused = app.state.ledger.deposit(&alice, a.id, money(701), other).await.unwrap();
    assert_eq!((reused.status, slug(&reused).as_str()), (422, "idempotency-key-reused"));
    assert_eq!(balance(&app, &alice, &a).await, 700, "no second effect");

    // Refusals are kept too: the same request gets the same 422 again, not a second try.
    let path_w = format!("/v1/accounts/{}/withdrawals", a.id);
    let big = serde_json::json!({"amount": 5_000});
    let key_w = || Some(scoped(alice.user_id, "k-2", "POST", &path_w, &big));
    let refused = app.state.ledger.withdraw(&alice, a.id, money(5_000), key_w()).await.unwrap();
    deposit(&app, &alice, &a, 10_000).await;
    let replayed = app.state.ledger.withdraw(&alice, a.id, money(5_000), key_w()).await.unwrap();
    assert_eq!((refused.status, replayed.status), (422, 422));
    assert!(replayed.replayed);
}

#[actix_web::test]
async fn concurrent_duplicates_of_one_request_have_exactly_one_effect() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    let body = serde_json::json!({"amount": 50});
    let path = format!("/v1/accounts/{}/deposits", a.id);
    let tries = (0..20).map(|_| {
        let key = Some(scoped(alice.user_id, "same", "POST", &path, &body));
        app.state.ledger.deposit(&alice, a.id, money(50), key)
    });
    let outcomes: Vec<Outcome> = futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    assert!(outcomes.iter().all(|o| o.status == 201 && o.body == outcomes[0].body));
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    assert_eq!(balance(&app, &alice, &a).await, 50);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn concurrent_withdrawals_never_overdraw() {
    overdraw_race(spawn_app().await).await;
}

#[actix_web::test]
async fn concurrent_withdrawals_never_overdraw_with_the_row_locking_engine() {
    use figment::providers::Serialized;
    overdraw_race(crate::support::spawn_app_with(|f| f.merge(Serialized::default("ledger.engine", "locked"))).await)
        .await;
}

async fn overdraw_race(app: TestApp) {
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 1_000).await;
    let tries = (0..60).map(|_| app.state.ledger.withdraw(&alice, a.id, money(30), None));
    let outcomes: Vec<Outcome> = futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| o.status == 201).count(), 33);
    assert_eq!(outcomes.iter().filter(|o| slug(o) == "insufficient-funds").count(), 27);
    assert_eq!(balance(&app, &alice, &a).await, 10);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn crossing_transfers_do_not_deadlock_and_conserve_money() {
    let app = spawn_app().await;
    let (alice, bob) = (caller(), caller());
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    deposit(&app, &alice, &a, 5_000).await;
    deposit(&app, &bob, &b, 5_000).await;
    let ledger = &app.state.ledger;
    let there = (0..40).map(|_| ledger.transfer(&alice, a.id, b.number.as_str(), money(7), None));
    let back = (0..40).map(|_| ledger.transfer(&bob, b.id, a.number.as_str(), money(3), None));
    let (there, back) = futures::future::join(futures::future::join_all(there), futures::future::join_all(back)).await;
    assert!(there.into_iter().chain(back).all(|r| r.unwrap().status == 201));
    assert_eq!(balance(&app, &alice, &a).await, 5_000 - 40 * 7 + 40 * 3);
    assert_eq!(balance(&app, &bob, &b).await, 5_000 + 40 * 7 - 40 * 3);
    assert_books_balance(&app).await;
}

#[actix_web::test]
async fn ledger_rows_cannot_be_changed_or_removed() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 100).await;
    let writer = app.state.db.writer();
    for sql in [
        "UPDATE postings SET amount = amount * 2",
        "DELETE FROM postings",
        "UPDATE journal_entries SET amount = 1",
        "DELETE FROM journal_entries",
    ] {
        assert!(sqlx::query(sql).execute(writer).await.is_err(), "{sql} must be refused");
    }
    let negative =
        sqlx::query("UPDATE accounts SET balance = -1 WHERE id = $1").bind(a.id.to_string()).execute(writer).await;
    assert!(negative.is_err(), "the database refuses a negative customer balance");
}

#[actix_web::test]
async fn verify_names_the_first_discrepancy() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 100).await;
    assert_books_balance(&app).await;
    sqlx::query("UPDATE accounts SET balance = 150 WHERE id = $1")
        .bind(a.id.to_string())
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let report = verify::verify(&app.state.db).await.unwrap();
    assert!(!report.ok);
    assert!(report.problem.unwrap().contains(a.number.as_str()));
    let cli = app.cli(&["ledger", "verify"]);
    assert_eq!(cli.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cli.stdout).contains(a.number.as_str()));
}

#[actix_web::test]
async fn the_daily_reconciliation_job_tells_staff_when_the_books_do_not_balance() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 100).await;
    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let discrepancies = || async {
        sqlx::query_scalar::<_, String>("SELECT message FROM staff_notifications WHERE kind = 'ledger_discrepancy'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap()
    };
    tresor_jobs::handlers::reconcile_ledger(&services).await.unwrap();
    assert!(discrepancies().await.is_empty(), "consistent books notify nobody");

    sqlx::query("UPDATE accounts SET balance = 150 WHERE id = $1")
        .bind(a.id.to_string())
        .execute(app.state.db.writer())
        .await
        .unwrap();
    tresor_jobs::handlers::reconcile_ledger(&services).await.unwrap();
    let found = discrepancies().await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(a.number.as_str()), "the notification names the account: {}", found[0]);
}

#[actix_web::test]
async fn cli_verify_passes_on_consistent_books() {
    let app = spawn_app().await;
    let alice = caller();
    let a = open(&app, &alice, "USD").await;
    deposit(&app, &alice, &a, 100).await;
    let cli = app.cli(&["ledger", "verify"]);
    assert_eq!(cli.status.code(), Some(0), "{}", String::from_utf8_lossy(&cli.stderr));
    assert!(String::from_utf8_lossy(&cli.stdout).contains("1 entries and 1 accounts reconcile"));
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.state.db.reader()).await.unwrap()
}

#[actix_web::test]
async fn large_transfers_and_bursts_are_flagged_for_staff_without_being_refused() {
    let app = spawn_app().await;
    let (mut alice, bob) = (caller(), caller());
    alice.session_id = stepped_up(&app, &alice).await;
    let (a, b) = (open(&app, &alice, "USD").await, open(&app, &bob, "USD").await);
    let ledger = &app.state.ledger;
    let large = ledger.settings().review_threshold + 1;
    deposit(&app, &alice, &a, large + 1_000).await;
    assert_eq!(ledger.transfer(&alice, a.id, b.number.as_str(), money(large), None).await.unwrap().status, 201);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM security_events WHERE kind = 'suspicious_transfer'").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM staff_notifications WHERE kind = 'transfer_flagged'").await, 1);

    // A burst: more than velocity_max_transfers in the window is flagged once, not per transfer.
    let burst = ledger.settings().velocity_max_transfers + 5;
    for _ in 0..burst {
        assert_eq!(ledger.transfer(&alice, a.id, b.number.as_str(), money(1), None).await.unwrap().status, 201);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM staff_notifications WHERE kind = 'transfer_flagged'").await, 2);
}
