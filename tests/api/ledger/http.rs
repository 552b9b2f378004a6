//! Accounts and money over HTTP: the contract of docs/api.md's "Accounts and money" section.

use serde_json::{Value, json};

use crate::support::ledger::approved;
use crate::support::{TestApp, assert_problem, spawn_app};

impl TestApp {
    async fn open_account(&self, token: &str, currency: &str) -> reqwest::Response {
        self.post_authed("/v1/accounts", token, &json!({"kind": "checking", "currency": currency})).await
    }

    async fn opened(&self, token: &str, currency: &str) -> Value {
        let response = self.open_account(token, currency).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn money(&self, token: &str, path: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).bearer_auth(token).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    async fn deposit(&self, token: &str, account: &str, amount: i64) -> reqwest::Response {
        let key = uuid::Uuid::new_v4().to_string();
        self.money(token, &format!("/v1/accounts/{account}/deposits"), Some(&key), &json!({"amount": amount})).await
    }

    async fn transfer(&self, token: &str, body: &Value) -> reqwest::Response {
        let key = uuid::Uuid::new_v4().to_string();
        self.money(token, "/v1/transfers", Some(&key), body).await
    }
}

#[actix_web::test]
async fn opening_an_account_needs_approved_kyc_and_answers_201_with_location() {
    let app = spawn_app().await;
    let pending = app.signed_in().await;
    assert_problem(app.open_account(&pending.access, "USD").await, 403, "kyc-required").await;

    let customer = approved(&app).await;
    let response = app.open_account(&customer.access, "USD").await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let account: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/v1/accounts/{}", account["id"].as_str().unwrap()));
    assert_eq!((account["balance"].as_i64(), account["available_balance"].as_i64()), (Some(0), Some(0)));
    assert_eq!((account["kind"].as_str(), account["status"].as_str()), (Some("checking"), Some("open")));
    assert_eq!(account["number"].as_str().unwrap().len(), 12);

    let listed: Value = app.get_authed("/v1/accounts", &customer.access).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let fetched = app.get_authed(&location, &customer.access).await;
    assert_eq!(fetched.status(), 200);
}

#[actix_web::test]
async fn bad_account_requests_are_4xx_problems() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    for body in [
        json!({"kind": "checking", "currency": "XYZ"}),
        json!({"kind": "gold", "currency": "USD"}),
        json!({"kind": "checking"}),
    ] {
        assert_problem(app.post_authed("/v1/accounts", &customer.access, &body).await, 400, "invalid-request").await;
    }
    let response = app.client.get(app.url("/v1/accounts")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_problem(app.get_authed("/v1/accounts/not-a-uuid", &customer.access).await, 400, "invalid-request").await;
}

#[actix_web::test]
async fn another_users_account_is_a_404_everywhere() {
    let app = spawn_app().await;
    let (alice, mallory) = (approved(&app).await, approved(&app).await);
    let account = app.opened(&alice.access, "USD").await;
    let id = account["id"].as_str().unwrap();
    assert_problem(app.get_authed(&format!("/v1/accounts/{id}"), &mallory.access).await, 404, "not-found").await;
    let path = format!("/v1/accounts/{id}/transactions");
    assert_problem(app.get_authed(&path, &mallory.access).await, 404, "not-found").await;
    assert_problem(app.deposit(&mallory.access, id, 10).await, 404, "not-found").await;
    let steal = json!({"from_account_id": id, "to_account_number": account["number"], "amount": 1});
    assert_problem(app.transfer(&mallory.access, &steal).await, 404, "not-found").await;
}

#[actix_web::test]
async fn money_moves_with_idempotency_keys_and_replays_exactly() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    let account = app.opened(&customer.access, "USD").await;
    let id = account["id"].as_str().unwrap();
    let path = format!("/v1/accounts/{id}/deposits");

    let missing = app.money(&customer.access, &path, None, &json!({"amount": 100})).await;
    assert_problem(missing, 400, "idempotency-key-required").await;

    let first = app.money(&customer.access, &path, Some("dep-1"), &json!({"amount": 2500})).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first_body = first.text().await.unwrap();
    let again = app.money(&customer.access, &path, Some("dep-1"), &json!({"amount": 2500})).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first_body, "the same response, byte for byte");
    let other = app.money(&customer.access, &path, Some("dep-1"), &json!({"amount": 2501})).await;
    assert_problem(other, 422, "idempotency-key-reused").await;

    let transaction: Value = app.get_authed(&location, &customer.access).await.json().await.unwrap();
    assert_eq!(transaction["amount"], 2500);
    let account: Value = app.get_authed(&format!("/v1/accounts/{id}"), &customer.access).await.json().await.unwrap();
    assert_eq!(account["balance"], 2500, "one effect");

    let withdraw = format!("/v1/accounts/{id}/withdrawals");
    let too_much = app.money(&customer.access, &withdraw, Some("w-1"), &json!({"amount": 2501})).await;
    assert_problem(too_much, 422, "insufficient-funds").await;
    let fine =
        app.money(&customer.access, &withdraw, Some("w-2"), &json!({"amount": 500, "description": "rent"})).await;
    assert_eq!(fine.status(), 201);
}

#[actix_web::test]
async fn concurrent_identical_requests_have_one_effect() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    let account = app.opened(&customer.access, "USD").await;
    let path = format!("/v1/accounts/{}/deposits", account["id"].as_str().unwrap());
    let body = json!({"amount": 40});
    let (a, b) = tokio::join!(
        app.money(&customer.access, &path, Some("twice"), &body),
        app.money(&customer.access, &path, Some("twice"), &body)
    );
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::CREATED, reqwest::StatusCode::CREATED));
    let account: Value = app
        .get_authed(&format!("/v1/accounts/{}", account["id"].as_str().unwrap()), &customer.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["balance"], 40);
}

#[actix_web::test]
async fn bad_amounts_are_400_never_5xx() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    let account = app.opened(&customer.access, "USD").await;
    let path = format!("/v1/accounts/{}/deposits", account["id"].as_str().unwrap());
    for (n, raw) in ["0", "-5", "1.5", "\"10\"", "1e3", "9223372036854775808", "null", "[]"].iter().enumerate() {
        let body = format!("{{\"amount\": {raw}}}");
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&customer.access)
            .header("Idempotency-Key", format!("bad-{n}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid-request").await;
        assert!(problem["detail"].as_str().unwrap().contains("amount"), "{raw}: {problem}");
    }
    let long = json!({"amount": 5, "description": "x".repeat(141)});
    assert_problem(app.money(&customer.access, &path, Some("long"), &long).await, 400, "invalid-request").await;
}

#[actix_web::test]
async fn transfers_move_money_and_refuse_with_the_contract_slugs() {
    let app = spawn_app().await;
    let (alice, bob) = (approved(&app).await, approved(&app).await);
    let a = app.opened(&alice.access, "USD").await;
    let b = app.opened(&bob.access, "USD").await;
    let euros = app.opened(&bob.access, "EUR").await;
    let a_id = a["id"].as_str().unwrap();
    assert_eq!(app.deposit(&alice.access, a_id, 200_000).await.status(), 201);

    let body = |to: &Value, amount: i64| json!({"from_account_id": a_id, "to_account_number": to, "amount": amount});
    let sent = app.transfer(&alice.access, &body(&b["number"], 1_500)).await;
    assert_eq!(sent.status(), 201);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!((sent["kind"].as_str(), sent["balance_after"].as_i64()), (Some("transfer_out"), Some(198_500)));

    let received: Value = app
        .get_authed(&format!("/v1/accounts/{}/transactions", b["id"].as_str().unwrap()), &bob.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(received["items"][0]["kind"], "transfer_in");
    assert_eq!(received["items"][0]["counterparty_number"], a["number"]);
    assert_eq!(received["items"][0]["reference"], sent["reference"]);
    let mails = app.mail_to(&bob.user.email, "transfer_received").await;
    assert_eq!(mails.len(), 1, "the recipient is emailed");
    assert_eq!(mails[0].data["amount"], "15.00 USD");
    assert_eq!(mails[0].data["reference"], sent["reference"]);

    let cases = [
        (body(&a["number"], 1), 422, "same-account"),
        (body(&euros["number"], 1), 422, "currency-mismatch"),
        (body(&json!("123456789012"), 1), 422, "invalid-account-number"),
        (body(&b["number"], 100_001), 403, "mfa-step-up-required"),
    ];
    for (request, status, slug) in cases {
        assert_problem(app.transfer(&alice.access, &request).await, status, slug).await;
    }
    let small = app.opened(&alice.access, "USD").await;
    let small_id = small["id"].as_str().unwrap();
    app.deposit(&alice.access, small_id, 10).await;
    let overdraw = json!({"from_account_id": small_id, "to_account_number": b["number"], "amount": 11});
    assert_problem(app.transfer(&alice.access, &overdraw).await, 422, "insufficient-funds").await;
    let unknown = tresor::ledger::number::AccountNumber::generate();
    assert_problem(app.transfer(&alice.access, &body(&json!(unknown.as_str()), 1)).await, 422, "account-not-found")
        .await;
    let max = app.state.ledger.settings().max_transaction;
    let path = format!("/v1/accounts/{a_id}/deposits");
    let over = app.money(&alice.access, &path, Some("big"), &json!({"amount": max + 1})).await;
    assert_problem(over, 422, "limit-exceeded").await;
}

#[actix_web::test]
async fn history_pages_newest_first_and_rejects_bad_paging() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    let account = app.opened(&customer.access, "USD").await;
    let id = account["id"].as_str().unwrap();
    for amount in [1, 2, 3] {
        app.deposit(&customer.access, id, amount).await;
    }
    let first: Value = app
        .get_authed(&format!("/v1/accounts/{id}/transactions?limit=2"), &customer.access)
        .await
        .json()
        .await
        .unwrap();
    let amounts: Vec<i64> = first["items"].as_array().unwrap().iter().map(|t| t["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [3, 2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_authed(&format!("/v1/accounts/{id}/transactions?limit=2&cursor={cursor}"), &customer.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    for query in ["limit=0", "limit=201", "limit=abc", "cursor=zz", "sort=up"] {
        let response = app.get_authed(&format!("/v1/accounts/{id}/transactions?{query}"), &customer.access).await;
        assert_problem(response, 400, "invalid-request").await;
    }
}
