//! Holds under concurrency: authorizations, captures, releases, withdrawals and transfers on the
//! same accounts at once, and one card's authorizations against its daily limit — over two server
//! processes when the database is PostgreSQL. Whatever the interleaving, no available balance is
//! ever negative, no card spends past its limit, every effect happens once, money is conserved
//! and `tresor ledger verify` passes.

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::identity::server_process;
use crate::support::money::{Cardholder, NETWORK_KEY, with_network};
use crate::support::{TestApp, spawn_app_with};

const FUNDS: i64 = 5_000;

#[derive(Clone, Debug)]
enum Op {
    /// Authorize, then capture part of it (or all).
    Purchase {
        holder: usize,
        amount: i64,
        capture: i64,
    },
    /// Authorize, then release.
    Cancelled {
        holder: usize,
        amount: i64,
    },
    /// Authorize and leave it open.
    Pending {
        holder: usize,
        amount: i64,
    },
    Withdraw {
        holder: usize,
        amount: i64,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: i64,
    },
}

/// A deterministic mix of `count` operations on `holders` accounts (xorshift from `seed`).
fn plan(seed: u64, holders: usize, count: usize) -> Vec<Op> {
    let mut state = seed;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    (0..count)
        .map(|_| {
            let holder = next(holders as u64) as usize;
            let amount = 1 + next(900) as i64;
            match next(5) {
                0 => Op::Purchase { holder, amount, capture: 1 + next(amount as u64) as i64 },
                1 => Op::Cancelled { holder, amount },
                2 => Op::Pending { holder, amount },
                3 => Op::Withdraw { holder, amount },
                _ => Op::Transfer {
                    from: holder,
                    to: (holder + 1 + next(holders as u64 - 1) as usize) % holders,
                    amount,
                },
            }
        })
        .collect()
}

/// What an operation did to the money: withdrawn, captured (both leave the customers).
#[derive(Default)]
struct Effect {
    left: i64,
}

async fn run(app: &TestApp, base: &str, holders: &[Cardholder], op: &Op) -> Effect {
    let key = || uuid::Uuid::new_v4().to_string();
    let mut effect = Effect::default();
    let authorize = |holder: usize, amount: i64| {
        let body = holders[holder].purchase(amount);
        async move { app.network_at(base, "/v1/card-network/authorizations", Some(&key()), &body).await }
    };
    match op {
        Op::Purchase { holder, amount, capture } => {
            let (status, auth) = authorize(*holder, *amount).await;
            assert_eq!(status, 201, "{auth}");
            if auth["status"] == "approved" {
                let path = format!("/v1/card-network/authorizations/{}/capture", auth["id"].as_str().unwrap());
                let (status, posted) = app.network_at(base, &path, Some(&key()), &json!({"amount": capture})).await;
                assert_eq!(status, 201, "{posted}");
                effect.left += capture;
            } else {
                assert_eq!(auth["decline_reason"], "insufficient-funds", "{auth}");
            }
        }
        Op::Cancelled { holder, amount } => {
            let (_, auth) = authorize(*holder, *amount).await;
            if auth["status"] == "approved" {
                let path = format!("/v1/card-network/authorizations/{}/release", auth["id"].as_str().unwrap());
                assert_eq!(app.network_at(base, &path, None, &json!({})).await.0, 200);
            }
        }
        Op::Pending { holder, amount } => {
            let (status, _) = authorize(*holder, *amount).await;
            assert_eq!(status, 201);
        }
        Op::Withdraw { holder, amount } => {
            let h = &holders[*holder];
            let response = app
                .client
                .post(format!("{base}/v1/accounts/{}/withdrawals", h.account))
                .bearer_auth(&h.token)
                .header("Idempotency-Key", key())
                .json(&json!({"amount": amount}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!([201, 422].contains(&status), "withdrawal: {status}");
            if status == 201 {
                effect.left += amount;
            }
        }
        Op::Transfer { from, to, amount } => {
            let body = json!({"from_account_id": holders[*from].account, "to_account_number": holders[*to].number, "amount": amount});
            let response = app
                .client
                .post(format!("{base}/v1/transfers"))
                .bearer_auth(&holders[*from].token)
                .header("Idempotency-Key", key())
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!([201, 422].contains(&response.status().as_u16()), "transfer: {}", response.status());
        }
    }
    // Whatever just happened, nothing available is negative.
    let holder = match op {
        Op::Purchase { holder, .. }
        | Op::Cancelled { holder, .. }
        | Op::Pending { holder, .. }
        | Op::Withdraw { holder, .. } => *holder,
        Op::Transfer { from, .. } => *from,
    };
    let account: Value = app
        .client
        .get(format!("{base}/v1/accounts/{}", holders[holder].account))
        .bearer_auth(&holders[holder].token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(account["available_balance"].as_i64().unwrap() >= 0, "{account}");
    effect
}

/// The second server process of these tests on PostgreSQL (`None` on SQLite).
async fn second_process(app: &TestApp) -> Option<(crate::support::identity::Running, String)> {
    if !app.database.is_postgres() {
        return None;
    }
    let env = [
        ("TRESOR__CARDS__NETWORK_API_KEY", NETWORK_KEY.to_owned()),
        ("TRESOR__RATE_LIMITS__TRANSFERS", "off".to_owned()),
        ("TRESOR__JOBS__EMBEDDED", "false".to_owned()),
    ];
    Some(server_process(app, &env).await)
}

#[actix_web::test]
async fn a_cards_daily_limit_holds_under_concurrent_authorizations() {
    let app = spawn_app_with(with_network).await;
    let holder = app.cardholder(FUNDS, json!({"per_transaction": 500, "daily": 1_000})).await;
    let second = second_process(&app).await;
    // 24 authorizations of 100 at once, half through the second process on PostgreSQL: the
    // limit leaves room for exactly ten, whatever the interleaving.
    let answers: Vec<Value> = futures::stream::iter(0..24)
        .map(|i| {
            let base = match (&second, i % 2) {
                (Some((_, base)), 1) => base.clone(),
                _ => app.address.clone(),
            };
            let (app, body) = (&app, holder.purchase(100));
            async move {
                let key = uuid::Uuid::new_v4().to_string();
                let (status, answer) =
                    app.network_at(&base, "/v1/card-network/authorizations", Some(&key), &body).await;
                assert_eq!(status, 201, "{answer}");
                answer
            }
        })
        .buffer_unordered(24)
        .collect()
        .await;
    let approved = answers.iter().filter(|a| a["status"] == "approved").count();
    assert_eq!(approved, 10, "{answers:?}");
    for declined in answers.iter().filter(|a| a["status"] != "approved") {
        assert_eq!(declined["decline_reason"], "limit-exceeded", "{declined}");
    }
    let held: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM holds WHERE status = 'open'")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(held, 1_000);
    // Releasing one makes room for one more today.
    let released = answers.iter().find(|a| a["status"] == "approved").unwrap()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/card-network/authorizations/{released}/release");
    assert_eq!(app.network_at(&app.address, &path, None, &json!({})).await.0, 200);
    let key = uuid::Uuid::new_v4().to_string();
    let (_, again) =
        app.network_at(&app.address, "/v1/card-network/authorizations", Some(&key), &holder.purchase(100)).await;
    assert_eq!(again["status"], "approved", "{again}");
    let (_, over) = app
        .network_at(
            &app.address,
            "/v1/card-network/authorizations",
            Some(&uuid::Uuid::new_v4().to_string()),
            &holder.purchase(1),
        )
        .await;
    assert_eq!(over["decline_reason"], "limit-exceeded", "{over}");
}

#[actix_web::test]
async fn available_never_goes_negative_under_concurrent_holds_and_debits() {
    let app = spawn_app_with(with_network).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        holders.push(app.cardholder(FUNDS, Value::Null).await);
    }
    // On PostgreSQL, a second server process takes half of the operations.
    let second = second_process(&app).await;
    let mut total_left = 0;
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 0xD1B5_4A32_D192_ED03] {
        let ops = plan(seed, holders.len(), 160);
        let left: i64 = futures::stream::iter(ops.iter().enumerate())
            .map(|(i, op)| {
                let base = match (&second, i % 2) {
                    (Some((_, base)), 1) => base.clone(),
                    _ => app.address.clone(),
                };
                let (app, holders) = (&app, &holders);
                async move { run(app, &base, holders, op).await.left }
            })
            .buffer_unordered(12)
            .fold(0, |sum, left| async move { sum + left })
            .await;
        let report = tresor::ledger::verify::verify(&app.state.db).await.unwrap();
        assert!(report.ok, "{report:?}");
        let total: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts WHERE is_system = 0")
                .fetch_one(app.state.db.reader())
                .await
                .unwrap();
        let captured: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(captured), 0) AS BIGINT) FROM holds")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
        let withdrawn: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(-p.amount), 0) AS BIGINT) FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
             WHERE e.kind = 'withdrawal' AND p.seq IS NOT NULL",
        )
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
        total_left += left;
        assert_eq!(withdrawn, total_left, "every acknowledged withdrawal and capture is in the ledger, once");
        assert!(captured <= withdrawn);
        assert_eq!(total, FUNDS * holders.len() as i64 - withdrawn, "money is conserved");
        let overdrawn: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = 0 AND held > balance")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
        assert_eq!(overdrawn, 0);
        // The holds left open expire: the next round starts with their money available again.
        let later = chrono::Utc::now() + chrono::Duration::days(30);
        app.state.ledger.expire_holds(later).await.unwrap();
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM holds WHERE status = 'open'")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
        assert_eq!(open, 0);
    }
    let cli = app.cli(&["ledger", "verify"]);
    assert_eq!(cli.status.code(), Some(0), "{}", String::from_utf8_lossy(&cli.stdout));
}
