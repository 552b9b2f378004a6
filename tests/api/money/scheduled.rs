//! Scheduled and recurring transfers: each occurrence runs once however many workers and cron
//! schedulers race for it, the 31st runs on February's last day, a refused occurrence is
//! recorded and emailed (real SMTP server), and creation checks like a transfer.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use figment::providers::Serialized;
use serde_json::{Value, json};
use tresor::scheduled::Runner;
use tresor_jobs::{RunScheduledTransfer, queues};
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::jobs::{SmtpOptions, SmtpServer, eventually, header, start_queue_workers};
use crate::support::money::{Cardholder, balances, with_network};
use crate::support::spawn_app_with;

const QUEUES: [&str; 3] = [queues::SCHEDULED_TICK, queues::SCHEDULED_TRANSFER, queues::SEND_EMAIL];

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A runner as each worker process builds one.
fn runner(app: &TestApp) -> Runner {
    let state = &app.state;
    Runner::new(
        state.db.clone(),
        state.keys.clone(),
        state.jobs.clone(),
        state.reads.clone(),
        state.ledger.settings().clone(),
    )
}

async fn schedule(app: &TestApp, from: &Cardholder, to: &Cardholder, body: Value) -> (u16, Value) {
    let mut full = json!({"from_account_id": from.account, "to_account_number": to.number});
    full.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    let response = app.post_authed("/v1/scheduled-transfers", &from.token, &full).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn read(app: &TestApp, holder: &Cardholder, id: &str) -> Value {
    let response = app.get_authed(&format!("/v1/scheduled-transfers/{id}"), &holder.token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn job(id: &str, on: NaiveDate) -> RunScheduledTransfer {
    RunScheduledTransfer { schedule_id: id.parse::<Uuid>().unwrap(), on }
}

#[actix_web::test]
async fn two_workers_and_a_tick_on_both_run_each_occurrence_once() {
    let app = spawn_app_with(|f| with_network(f).merge(Serialized::default("jobs.poll_interval_ms", 50))).await;
    let alice = app.cardholder(10_000, Value::Null).await;
    let bob = app.cardholder(0, Value::Null).await;
    let (status, created) =
        schedule(&app, &alice, &bob, json!({"amount": 1_000, "start_date": today(), "frequency": "monthly"})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["status"].as_str(), created["next_run_on"].as_str()),
        (Some("active"), Some(&*today().to_string()))
    );
    let id = created["id"].as_str().unwrap().to_owned();

    // Two worker processes' worth of workers, each with its own handlers.
    let registry = || tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let first = start_queue_workers(&app.state.jobs, registry(), false, &QUEUES);
    let second = start_queue_workers(&app.state.jobs, registry(), false, &QUEUES);
    // The cron tick fires on both schedulers: the same tick job twice (the second is a no-op)...
    let at = Utc::now().timestamp() / 60 * 60;
    let tick = || tresor_jobs::schedule::tick_job(queues::SCHEDULED_TICK, at, 3);
    let pushed = (app.state.jobs.push(tick()).await.unwrap(), app.state.jobs.push(tick()).await.unwrap());
    assert_eq!(pushed, (true, false), "one tick job per tick time");
    // ...and two ticks and two runs of the occurrence race beside the workers.
    let (a, b) = (runner(&app), runner(&app));
    let (ta, tb) = tokio::join!(a.tick(today()), b.tick(today()));
    assert!(ta.unwrap() + tb.unwrap() <= 1, "an occurrence is enqueued by one tick only");
    let (ra, rb) = tokio::join!(a.run(job(&id, today())), b.run(job(&id, today())));
    ra.unwrap();
    rb.unwrap();

    eventually(Duration::from_secs(20), "the occurrence recorded", async || {
        read(&app, &alice, &id).await["occurrences"].as_array().is_some_and(|o| !o.is_empty())
    })
    .await;
    let read_back = read(&app, &alice, &id).await;
    let occurrences = read_back["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 1, "{read_back}");
    assert_eq!(occurrences[0]["outcome"], "posted");
    assert_eq!(occurrences[0]["on"].as_str(), Some(&*today().to_string()));
    let next = tresor::scheduled::model::next_after(tresor::scheduled::model::Frequency::Monthly, today(), today());
    assert_eq!(read_back["next_run_on"].as_str(), next.map(|d| d.to_string()).as_deref());
    // Another tick finds nothing due; running the occurrence again changes nothing.
    assert_eq!(a.tick(today()).await.unwrap(), 0);
    a.run(job(&id, today())).await.unwrap();
    first.stop().await;
    second.stop().await;

    assert_eq!(balances(&app.account_of(&alice).await), (9_000, 9_000));
    assert_eq!(balances(&app.account_of(&bob).await).0, 1_000);
    let history = app.get_authed(&format!("/v1/accounts/{}/transactions", alice.account), &alice.token).await;
    let history: Value = history.json().await.unwrap();
    let transfers: Vec<&Value> =
        history["items"].as_array().unwrap().iter().filter(|t| t["kind"] == "transfer_out").collect();
    assert_eq!(transfers.len(), 1, "{history}");
    assert_eq!(transfers[0]["id"], occurrences[0]["transaction_id"]);
    crate::support::ledger::assert_books_balance(&app).await;
    let cli = app.cli(&["ledger", "verify"]);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
}

#[actix_web::test]
async fn the_31st_runs_on_the_last_day_of_february_in_common_and_leap_years() {
    let app = spawn_app_with(with_network).await;
    let alice = app.cardholder(10_000, Value::Null).await;
    let bob = app.cardholder(0, Value::Null).await;
    let runner = runner(&app);
    // The next January 31st of a common year followed by a leap year's (both in the future).
    let year = (today().year() + 1..).find(|y| (y + 1) % 4 == 0).unwrap();
    let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let (status, created) = schedule(
        &app,
        &alice,
        &bob,
        json!({"amount": 100, "start_date": date(year, 1, 31), "frequency": "monthly", "end_date": date(year + 1, 3, 1)}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(runner.tick(date(year, 1, 30)).await.unwrap(), 0, "not due yet");

    let mut ran = Vec::new();
    for (on, next) in [
        (date(year, 1, 31), date(year, 2, 28)),
        (date(year, 2, 28), date(year, 3, 31)),
        (date(year, 3, 31), date(year, 4, 30)),
    ] {
        assert_eq!(runner.tick(on).await.unwrap(), 1, "{on}");
        runner.run(job(&id, on)).await.unwrap();
        ran.push(on);
        assert_eq!(read(&app, &alice, &id).await["next_run_on"].as_str(), Some(&*next.to_string()));
    }
    // Catching up to the leap year's January runs every month missed, then February 29th.
    assert_eq!(runner.tick(date(year + 1, 1, 31)).await.unwrap(), 10);
    assert_eq!(read(&app, &alice, &id).await["next_run_on"].as_str(), Some(&*date(year + 1, 2, 29).to_string()));
    assert_eq!(runner.tick(date(year + 1, 2, 29)).await.unwrap(), 1);
    let done = read(&app, &alice, &id).await;
    assert_eq!((done["status"].as_str(), &done["next_run_on"]), (Some("completed"), &Value::Null), "{done}");
    runner.run(job(&id, date(year + 1, 2, 29))).await.unwrap();
    let occurrences = read(&app, &alice, &id).await["occurrences"].as_array().unwrap().clone();
    let days: Vec<&str> = occurrences.iter().filter_map(|o| o["on"].as_str()).collect();
    assert_eq!(days.first().copied(), Some(&*date(year + 1, 2, 29).to_string()), "newest first: {days:?}");
    assert!(days.contains(&&*date(year, 2, 28).to_string()));
    assert!(occurrences.iter().all(|o| o["outcome"] == "posted"), "{occurrences:?}");
    assert_eq!(balances(&app.account_of(&bob).await).0, 100 * (ran.len() as i64 + 1));
}

#[actix_web::test]
async fn a_refused_occurrence_is_recorded_and_emailed() {
    let smtp = SmtpServer::start(SmtpOptions::default()).await;
    let url = smtp.url();
    let app = spawn_app_with(move |f| {
        with_network(f)
            .merge(Serialized::default("mail.smtp_url", url))
            .merge(Serialized::default("mail.from", "tresor <no-reply@bank.example>"))
            .merge(Serialized::default("jobs.poll_interval_ms", 50))
    })
    .await;
    let alice = app.cardholder(500, Value::Null).await;
    let bob = app.cardholder(0, Value::Null).await;
    let (status, created) =
        schedule(&app, &alice, &bob, json!({"amount": 1_000, "start_date": today(), "frequency": "once"})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let registry = tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let workers = start_queue_workers(&app.state.jobs, registry, false, &QUEUES);
    let at = Utc::now().timestamp();
    app.state.jobs.push(tresor_jobs::schedule::tick_job(queues::SCHEDULED_TICK, at, 3)).await.unwrap();

    let subject = "A scheduled transfer did not go out";
    let refusals = || -> Vec<String> {
        smtp.received().into_iter().filter(|m| header(m, "Subject").as_deref() == Some(subject)).collect()
    };
    eventually(Duration::from_secs(20), "the refusal email", async || !refusals().is_empty()).await;
    workers.stop().await;
    let refusals = refusals();
    assert_eq!(refusals.len(), 1);
    let message = &refusals[0];
    assert_eq!(header(message, "To").as_deref(), Some(alice.email.as_str()));
    let read_back = read(&app, &alice, &id).await;
    assert_eq!(read_back["status"], "completed", "{read_back}");
    let occurrence = &read_back["occurrences"][0];
    assert_eq!(
        (occurrence["outcome"].as_str(), occurrence["reason"].as_str()),
        (Some("refused"), Some("insufficient-funds"))
    );
    assert_eq!(occurrence["transaction_id"], Value::Null);
    let listed = app.get_authed("/v1/scheduled-transfers", &alice.token).await;
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"][0]["occurrences"][0]["reason"], "insufficient-funds");
    assert_eq!(balances(&app.account_of(&alice).await), (500, 500));
}

#[actix_web::test]
async fn creation_checks_like_a_transfer_and_a_cancelled_schedule_never_runs() {
    let app = spawn_app_with(with_network).await;
    let alice = app.cardholder(10_000, Value::Null).await;
    let bob = app.cardholder(0, Value::Null).await;
    let body = |amount: i64, start: NaiveDate| json!({"amount": amount, "start_date": start, "frequency": "weekly"});
    let (status, problem) = schedule(&app, &alice, &bob, body(100_001, today())).await;
    assert_eq!((status, problem["type"].as_str()), (403, Some("/problems/mfa-step-up-required")), "{problem}");
    let yesterday = today().pred_opt().unwrap();
    let (status, problem) = schedule(&app, &alice, &bob, body(100, yesterday)).await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["errors"]["start_date"].is_array(), "{problem}");
    let (status, problem) = schedule(&app, &alice, &alice, body(100, today())).await;
    assert_eq!((status, problem["type"].as_str()), (422, Some("/problems/same-account")));
    let (status, problem) =
        schedule(&app, &bob, &alice, json!({"amount": 100, "start_date": today(), "frequency": "daily"})).await;
    assert_eq!(status, 400, "{problem}");

    let (status, created) = schedule(&app, &alice, &bob, body(100, today())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let theirs = app.get_authed(&format!("/v1/scheduled-transfers/{id}"), &bob.token).await;
    assert_eq!(theirs.status(), 404, "another user's schedule is not found");
    let cancelled = app
        .client
        .delete(app.url(&format!("/v1/scheduled-transfers/{id}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 404);
    let cancelled = app
        .client
        .delete(app.url(&format!("/v1/scheduled-transfers/{id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 204);
    let read_back = read(&app, &alice, id).await;
    assert_eq!((read_back["status"].as_str(), &read_back["next_run_on"]), (Some("cancelled"), &Value::Null));
    let runner = runner(&app);
    assert_eq!(runner.tick(today()).await.unwrap(), 0);
    runner.run(job(id, today())).await.unwrap();
    assert_eq!(balances(&app.account_of(&alice).await).0, 10_000, "a cancelled schedule moves nothing");
    assert!(read(&app, &alice, id).await["occurrences"].as_array().unwrap().is_empty());
}
