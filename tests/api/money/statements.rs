//! Statements: built per account and month, a real PDF (`pdftotext` reads the balances back), a
//! CSV whose amounts sum to closing − opening, signed links for the owner only, partial months
//! rebuilt, complete ones kept and announced by email, and the CLI.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tresor::statements::model::Period;

use crate::support::TestApp;
use crate::support::money::{Cardholder, with_network};
use crate::support::spawn_app_with;

async fn statements_of(app: &TestApp, holder: &Cardholder) -> Vec<Value> {
    let response = app.get_authed(&format!("/v1/accounts/{}/statements", holder.account), &holder.token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn download(app: &TestApp, holder: &Cardholder, statement: &str, format: &str) -> (String, Vec<u8>) {
    let path = format!("/v1/accounts/{}/statements/{statement}/download", holder.account);
    let link = app.post_authed(&path, &holder.token, &json!({"format": format})).await;
    assert_eq!(link.status(), 200);
    let link: Value = link.json().await.unwrap();
    let url = on_app(app, link["url"].as_str().unwrap());
    let file = app.client.get(url).send().await.unwrap();
    assert_eq!(file.status(), 200);
    let kind = file.headers()["content-type"].to_str().unwrap().to_owned();
    (kind, file.bytes().await.unwrap().to_vec())
}

async fn money_moves(app: &TestApp, from: &Cardholder, path: &str, body: Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&from.token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// The link's path on the test server (its public URL names no port).
fn on_app(app: &TestApp, url: &str) -> String {
    let at = url.find("/v1/statement-files/").unwrap_or_else(|| panic!("not a statement link: {url}"));
    app.url(&url[at..])
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[actix_web::test]
async fn a_statement_is_a_real_pdf_and_a_csv_that_sums_to_closing_minus_opening() {
    let app = spawn_app_with(with_network).await;
    let alice = app.cardholder(10_000, Value::Null).await;
    let bob = app.cardholder(0, Value::Null).await;
    let transfer = json!({"from_account_id": alice.account, "to_account_number": bob.number, "amount": 2_500, "description": "=rent"});
    money_moves(&app, &alice, "/v1/transfers", transfer).await;
    money_moves(&app, &alice, &format!("/v1/accounts/{}/withdrawals", alice.account), json!({"amount": 1_000})).await;

    let now = Utc::now();
    let period = Period::of(now);
    let built = app.state.statements.build(period, None, now).await.unwrap();
    assert_eq!(built.written, 2, "alice's and bob's");
    let listed = statements_of(&app, &alice).await;
    assert_eq!(listed.len(), 1);
    let statement = &listed[0];
    assert_eq!(statement["period"].as_str(), Some(&*period.to_string()));
    assert_eq!((statement["opening_balance"].as_i64(), statement["closing_balance"].as_i64()), (Some(0), Some(6_500)));
    assert_eq!((statement["partial"].as_bool(), statement["postings"].as_i64()), (Some(true), Some(3)));
    let id = statement["id"].as_str().unwrap();

    let (kind, csv) = download(&app, &alice, id, "csv").await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let sum: i64 = rows.iter().map(|r| r[5].parse::<i64>().unwrap()).sum();
    let (opening, closing) =
        (statement["opening_balance"].as_i64().unwrap(), statement["closing_balance"].as_i64().unwrap());
    assert_eq!(sum, closing - opening, "the amounts sum to closing − opening");
    assert!(rows.iter().any(|r| &r[3] == "'=rent"), "a formula-looking description is made inert");

    let (kind, pdf) = download(&app, &alice, id, "pdf").await;
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    for expected in ["Opening balance: 0.00 USD", "Closing balance: 65.00 USD", "Partial statement", &alice.number] {
        assert!(text.contains(expected), "{expected:?} missing from the PDF's text:\n{text}");
    }
    assert!(text.contains("transfer_out") && text.contains("-25.00 USD"), "{text}");

    // Someone else's account, statement or link is not found.
    let theirs = app.get_authed(&format!("/v1/accounts/{}/statements", alice.account), &bob.token).await;
    assert_eq!(theirs.status(), 404);
    let path = format!("/v1/accounts/{}/statements/{id}/download", alice.account);
    let link = app.post_authed(&path, &alice.token, &json!({"format": "pdf"})).await;
    let url = on_app(&app, link.json::<Value>().await.unwrap()["url"].as_str().unwrap());
    let foreign = app.client.get(&url).bearer_auth(&bob.token).send().await.unwrap();
    assert_eq!(foreign.status(), 404, "a link is for the user it was made for");
    let bad = app.post_authed(&path, &alice.token, &json!({"format": "docx"})).await;
    assert_eq!(bad.status(), 400);
    let altered = app.client.get(format!("{}x", url)).send().await.unwrap();
    assert_eq!(altered.status(), 404);
}

#[actix_web::test]
async fn a_month_once_ended_is_built_once_and_announced_and_a_quiet_month_carries_the_balance() {
    let app = spawn_app_with(with_network).await;
    let alice = app.cardholder(4_200, Value::Null).await;
    let now = Utc::now();
    let period = Period::of(now);
    app.state.statements.build(period, None, now).await.unwrap();
    assert!(app.mail_to(&alice.email, "statement_ready").await.is_empty(), "a partial statement sends no email");

    // As the monthly job after the month ended: the partial one is replaced by a complete one.
    let later = period.end() + Duration::hours(1);
    let built = app.state.statements.build(period, None, later).await.unwrap();
    assert_eq!((built.written, built.kept), (1, 0));
    let listed = statements_of(&app, &alice).await;
    assert_eq!((listed.len(), listed[0]["partial"].as_bool()), (1, Some(false)));
    assert_eq!(app.mail_to(&alice.email, "statement_ready").await.len(), 1);
    let again = app.state.statements.build(period, None, later).await.unwrap();
    assert_eq!((again.written, again.kept), (0, 1), "a complete statement is kept");

    // The next month has no postings: it opens and closes at the balance carried over.
    let next = Period::of(period.end());
    app.state.statements.build(next, None, next.end()).await.unwrap();
    let listed = statements_of(&app, &alice).await;
    assert_eq!(listed[0]["period"].as_str(), Some(&*next.to_string()));
    assert_eq!(
        (listed[0]["opening_balance"].as_i64(), listed[0]["closing_balance"].as_i64()),
        (Some(4_200), Some(4_200))
    );
    let (_, pdf) = download(&app, &alice, listed[0]["id"].as_str().unwrap(), "pdf").await;
    let text = pdftotext(&pdf);
    assert!(text.contains("Opening balance: 42.00 USD") && text.contains("No postings"), "{text}");
}

#[actix_web::test]
async fn the_cli_builds_statements_for_a_period_and_an_account() {
    let app = spawn_app_with(with_network).await;
    let alice = app.cardholder(1_000, Value::Null).await;
    let period = Period::of(Utc::now()).to_string();
    let cli = app.cli(&["statements", "build", "--period", &period, "--account", &alice.account]);
    let stdout = String::from_utf8_lossy(&cli.stdout).to_string();
    assert!(cli.status.success(), "{stdout}{}", String::from_utf8_lossy(&cli.stderr));
    assert!(stdout.contains("1 built") && stdout.contains("partial"), "{stdout}");
    assert_eq!(statements_of(&app, &alice).await[0]["closing_balance"], 1_000);
    let bad = app.cli(&["statements", "build", "--period", "2026-13"]);
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
}
