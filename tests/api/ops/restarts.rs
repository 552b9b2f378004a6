//! The restart drill: PostgreSQL, then Redis, stopped and started again in the middle of a load
//! of transfers, sign-ins and job traffic against a `tresor serve` process. Meanwhile requests
//! answer or fail with 503 + `Retry-After` (never 500, never past their timeout) and
//! `/health/ready` names what is down; the service recovers by itself within seconds; afterwards
//! every acknowledged transfer is in the ledger once, the books and the audit chain verify, and
//! every enqueued job has run.
//!
//! It stops servers, so it never runs against shared ones: `.ci/restarts.sh` starts a PostgreSQL
//! cluster and a Redis (append-only, as a job queue needs) of its own and runs this test with
//! `--ignored`, naming them in `TRESOR_DRILL_*`.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, server_process};
use crate::support::ledger::approved;
use crate::support::{TestApp, redis_url, spawn_app};

/// How to stop and start the drill's own servers.
struct Drill {
    pg_ctl: String,
    pg_data: String,
    redis_port: String,
    redis_start: String,
}

impl Drill {
    fn from_env() -> Self {
        let var =
            |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (see .ci/restarts.sh)"));
        Self {
            pg_ctl: var("TRESOR_DRILL_PG_CTL"),
            pg_data: var("TRESOR_DRILL_PG_DATA"),
            redis_port: var("TRESOR_DRILL_REDIS_PORT"),
            redis_start: var("TRESOR_DRILL_REDIS_START"),
        }
    }

    fn postgres(&self, action: &str) {
        let command =
            format!("{} -D '{}' -w -t 60 -m fast -l '{}/server.log' {action}", self.pg_ctl, self.pg_data, self.pg_data);
        let status = Command::new("su").args(["postgres", "-c", &command]).status().unwrap();
        assert!(status.success(), "pg_ctl {action}");
    }

    fn stop_redis(&self) {
        // SHUTDOWN writes the append-only file first: queued jobs survive the restart.
        let status = Command::new("redis-cli").args(["-p", &self.redis_port, "shutdown"]).status().unwrap();
        assert!(status.success() || status.code() == Some(1), "redis-cli shutdown");
    }

    fn start_redis(&self) {
        let status = Command::new("bash").arg(&self.redis_start).status().unwrap();
        assert!(status.success(), "starting redis again");
    }
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    acknowledged: Mutex<Vec<String>>,
    /// Transfers without a definitive answer yet (503, or the connection failed): key and body.
    unsettled: Mutex<Vec<(String, Value, String)>>,
    unavailable: AtomicUsize,
    ok: AtomicUsize,
    slowest_ms: AtomicUsize,
    problems: Mutex<Vec<String>>,
}

impl Seen {
    fn note(&self, what: &str, started: Instant, response: &Result<reqwest::Response, reqwest::Error>) -> Option<u16> {
        let ms = usize::try_from(started.elapsed().as_millis()).unwrap_or(usize::MAX);
        self.slowest_ms.fetch_max(ms, Ordering::SeqCst);
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                self.problems.lock().unwrap().push(format!("{what}: no answer: {error}"));
                return None;
            }
        };
        let status = response.status().as_u16();
        match status {
            503 => {
                self.unavailable.fetch_add(1, Ordering::SeqCst);
                if !response.headers().contains_key("retry-after") {
                    self.problems.lock().unwrap().push(format!("{what}: 503 without Retry-After"));
                }
            }
            200..=299 => {
                self.ok.fetch_add(1, Ordering::SeqCst);
            }
            other => self.problems.lock().unwrap().push(format!("{what}: unexpected {other}")),
        }
        Some(status)
    }
}

struct Customer {
    email: String,
    token: String,
    account_id: String,
    account_number: String,
}

async fn customer(app: &TestApp) -> Customer {
    let signed_in = approved(app).await;
    let opened =
        app.post_authed("/v1/accounts", &signed_in.access, &json!({"kind": "checking", "currency": "USD"})).await;
    let account: Value = opened.json().await.unwrap();
    let deposit = app
        .client
        .post(app.url(&format!("/v1/accounts/{}/deposits", account["id"].as_str().unwrap())))
        .bearer_auth(&signed_in.access)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"amount": 5_000_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(deposit.status(), 201);
    Customer {
        email: signed_in.user.email.clone(),
        token: signed_in.access.clone(),
        account_id: account["id"].as_str().unwrap().to_owned(),
        account_number: account["number"].as_str().unwrap().to_owned(),
    }
}

async fn transfer(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Result<reqwest::Response, reqwest::Error> {
    client
        .post(format!("{base}/v1/transfers"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
}

async fn transfers(
    client: reqwest::Client,
    base: String,
    customers: Arc<Vec<Customer>>,
    me: usize,
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let (from, to) = (&customers[me], &customers[(me + n) % customers.len()]);
        if from.account_id == to.account_id {
            continue;
        }
        let body =
            json!({"from_account_id": from.account_id, "to_account_number": to.account_number, "amount": 1 + n % 50});
        let key = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let response = transfer(&client, &base, &from.token, &key, &body).await;
        match seen.note("transfer", started, &response) {
            Some(201) => {
                let created: Value = response.unwrap().json().await.unwrap();
                seen.acknowledged.lock().unwrap().push(created["id"].as_str().unwrap().to_owned());
            }
            _ => {
                seen.unsettled.lock().unwrap().push((key, body, from.token.clone()));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn sign_ins_and_mail(
    client: reqwest::Client,
    base: String,
    customers: Arc<Vec<Customer>>,
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let email = &customers[n % customers.len()].email;
        let started = Instant::now();
        let login = client
            .post(format!("{base}/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await;
        seen.note("sign-in", started, &login);
        // Job traffic: each accepted request queues a mail.
        let started = Instant::now();
        let forgot = client.post(format!("{base}/v1/auth/password/forgot")).json(&json!({"email": email})).send().await;
        seen.note("password forgot", started, &forgot);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `/health/ready` until it answers `status`; returns how long that took and the last body.
async fn ready_becomes(client: &reqwest::Client, base: &str, status: u16, within: Duration) -> (Duration, Value) {
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await
            && response.status().as_u16() == status
        {
            return (started.elapsed(), response.json().await.unwrap_or(Value::Null));
        }
        assert!(started.elapsed() < within, "/health/ready did not answer {status} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
#[ignore = "stops and starts PostgreSQL and Redis: run by .ci/restarts.sh against servers of its own"]
async fn the_service_rides_out_postgres_and_redis_restarts_under_load_with_jobs_in_redis() {
    drill("redis").await;
}

#[actix_web::test]
#[ignore = "stops and starts PostgreSQL and Redis: run by .ci/restarts.sh against servers of its own"]
async fn the_service_rides_out_postgres_and_redis_restarts_under_load_with_jobs_in_the_database() {
    drill("database").await;
}

/// The drill with the job queue on `jobs_backend` (`redis` or `database`).
async fn drill(jobs_backend: &str) {
    let drill = Drill::from_env();
    let redis = redis_url().expect("TEST_REDIS_URL");
    let app = spawn_app().await;
    assert!(app.database.is_postgres(), "the drill restarts PostgreSQL");
    let mut customers = Vec::new();
    for _ in 0..4 {
        customers.push(customer(&app).await);
    }
    let customers = Arc::new(customers);
    let namespace = format!("drill{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("REDIS_URL", redis.clone()),
        ("TRESOR__JOBS__BACKEND", jobs_backend.to_owned()),
        ("TRESOR__JOBS__NAMESPACE", namespace.clone()),
        ("TRESOR__JOBS__POLL_INTERVAL_MS", "100".to_owned()),
        ("TRESOR__JOBS__SWEEP_GRACE_SECS", "3".to_owned()),
        ("TRESOR__JOBS__SCHEDULES__SWEEP", "*/5 * * * * *".to_owned()),
        ("TRESOR__DATABASE__ACQUIRE_TIMEOUT_SECS", "2".to_owned()),
        ("TRESOR__RATE_LIMITS__TRANSFERS", "off".to_owned()),
        ("TRESOR__RATE_LIMITS__LOGIN_IP", "off".to_owned()),
        ("TRESOR__RATE_LIMITS__LOGIN_IP_EMAIL", "off".to_owned()),
        ("TRESOR__RATE_LIMITS__PASSWORD_FORGOT", "off".to_owned()),
    ];
    let (_server, base) = server_process(&app, &env).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();

    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Seen::default()));
    let mut load = Vec::new();
    for me in 0..customers.len() {
        load.push(actix_web::rt::spawn(transfers(
            client.clone(),
            base.clone(),
            customers.clone(),
            me,
            stop.clone(),
            seen.clone(),
        )));
    }
    load.push(actix_web::rt::spawn(sign_ins_and_mail(
        client.clone(),
        base.clone(),
        customers.clone(),
        stop.clone(),
        seen.clone(),
    )));
    tokio::time::sleep(Duration::from_secs(3)).await;

    // PostgreSQL goes away for a few seconds.
    drill.postgres("stop");
    let (_, down) = ready_becomes(&client, &base, 503, Duration::from_secs(10)).await;
    assert!(down["detail"].as_str().unwrap_or_default().contains("database"), "{down}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    drill.postgres("start");
    let (pg_recovery, _) = ready_becomes(&client, &base, 200, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Then Redis.
    drill.stop_redis();
    let (_, down) = ready_becomes(&client, &base, 503, Duration::from_secs(10)).await;
    assert!(down["detail"].as_str().unwrap_or_default().contains("redis"), "{down}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    drill.start_redis();
    let (redis_recovery, _) = ready_becomes(&client, &base, 200, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }

    // A client retries what got no definitive answer, with the same key and body.
    let unsettled = std::mem::take(&mut *seen.unsettled.lock().unwrap());
    let mut retried = 0;
    for (key, body, token) in unsettled {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = transfer(&client, &base, &token, &key, &body).await.unwrap();
            if response.status() == 201 {
                let created: Value = response.json().await.unwrap();
                seen.acknowledged.lock().unwrap().push(created["id"].as_str().unwrap().to_owned());
                retried += 1;
                break;
            }
            assert_eq!(response.status(), 503, "a retried transfer is either done or still unavailable");
            assert!(Instant::now() < deadline, "a retried transfer did not settle");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let problems = seen.problems.lock().unwrap().clone();
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    let (unavailable, ok) = (seen.unavailable.load(Ordering::SeqCst), seen.ok.load(Ordering::SeqCst));
    let slowest = seen.slowest_ms.load(Ordering::SeqCst);
    println!(
        "drill (jobs in {jobs_backend}): {ok} answered, {unavailable} × 503, {} transfers acknowledged ({retried} after a retry), slowest \
         request {slowest} ms, ready again {pg_recovery:?} after PostgreSQL and {redis_recovery:?} after Redis came back",
        acknowledged.len()
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(slowest < 15_000, "a request took {slowest} ms");
    assert!(pg_recovery < Duration::from_secs(10) && redis_recovery < Duration::from_secs(10));
    assert!(unavailable > 0, "the outages were seen");

    // Every acknowledged transfer is in the ledger exactly once, and nothing else moved.
    let mut unique = acknowledged.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), acknowledged.len(), "no transfer was acknowledged twice");
    let transfers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE kind = 'transfer'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(
        usize::try_from(transfers).unwrap(),
        acknowledged.len(),
        "the ledger holds exactly the acknowledged transfers"
    );
    for cli in [["ledger", "verify"], ["audit", "verify"]] {
        let output = app.cli(&cli);
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.status.code(), Some(0), "{cli:?}: {stdout}{stderr}");
    }

    // Every job that was enqueued has run: the mail outbox empties and the queues are idle.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL")
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsent} queued mails never went out");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let sent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox").fetch_one(app.state.db.reader()).await.unwrap();
    assert!(sent > 0, "the load queued mail");
    let queue = crate::support::jobs::store(&app, {
        let mut settings = tresor::queue::settings(&app.state.config);
        if jobs_backend == "redis" {
            settings.backend = tresor_jobs::settings::Backend::Redis;
        }
        settings.namespace = namespace.clone();
        settings
    });
    let overview = queue.overview(20).await.unwrap();
    assert!(overview.dead.is_empty(), "{overview:?}");
}
