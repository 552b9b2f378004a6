//! `cleanup` and `expire_lockouts` against rows they must delete and rows they must keep.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use futures::future::BoxFuture;
use sqlx::Row;
use tresor::db::{Dialect, time};
use tresor::worker::{FinishedJobRetention, IdempotencyKeyRetention, SentMailRetention};
use tresor_jobs::JobError;
use tresor_jobs::handlers::{self, MaintenanceTask};

use crate::support::{TestApp, spawn_app};

async fn outbox(
    app: &TestApp,
    id: &str,
    created: chrono::DateTime<Utc>,
    sent: Option<chrono::DateTime<Utc>>,
    payload: Option<&str>,
) {
    sqlx::query(
        "INSERT INTO email_outbox (id, template, payload, created_at, sent_at) VALUES ($1, 'mfa_enabled', $2, $3, $4)",
    )
    .bind(id)
    .bind(payload)
    .bind(time::to_db(created))
    .bind(sent.map(time::to_db))
    .execute(app.state.db.writer())
    .await
    .unwrap();
}

async fn outbox_ids(app: &TestApp) -> Vec<String> {
    sqlx::query("SELECT id FROM email_outbox ORDER BY id")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect()
}

#[actix_web::test]
async fn cleanup_deletes_old_sent_mail_and_keeps_unsent_and_recent_rows() {
    let app = spawn_app().await;
    let now = Utc::now();
    outbox(&app, "a-sent-long-ago", now - Duration::days(40), Some(now - Duration::days(40)), None).await;
    outbox(&app, "b-sent-yesterday", now - Duration::days(1), Some(now - Duration::days(1)), Some("v1:leftover")).await;
    outbox(&app, "c-unsent-old", now - Duration::days(40), None, Some("v1:sealed")).await;
    let task = SentMailRetention { db: app.state.db.clone(), keep: std::time::Duration::from_secs(30 * 86_400) };
    let changed = task.run(Utc::now()).await.unwrap();
    assert_eq!(changed, 2, "one row deleted, one leftover payload purged");
    assert_eq!(outbox_ids(&app).await, ["b-sent-yesterday", "c-unsent-old"]);
    let payloads: Vec<Option<String>> = sqlx::query("SELECT payload FROM email_outbox ORDER BY id")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("payload"))
        .collect();
    assert_eq!(payloads, [None, Some("v1:sealed".to_owned())], "sent rows lose their payload; unsent keep it");
    assert_eq!(task.run(Utc::now()).await.unwrap(), 0, "idempotent");
}

#[actix_web::test]
async fn cleanup_deletes_old_finished_jobs_and_keeps_dead_pending_and_recent_ones() {
    let app = spawn_app().await;
    let old = (Utc::now() - Duration::days(10)).timestamp();
    let recent = (Utc::now() - Duration::hours(1)).timestamp();
    let rows = [
        ("01J00000000000000000000001", "Done", old),
        ("01J00000000000000000000002", "Done", recent),
        ("01J00000000000000000000003", "Killed", old),
        ("01J00000000000000000000004", "Pending", old),
    ];
    for (id, status, done_at) in rows {
        let sql = match app.state.db.dialect() {
            Dialect::Sqlite => {
                "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, run_at, done_at, priority, metadata) \
                 VALUES ($1, $2, 'cleanup', $3, 1, 3, $4, $4, 0, '{}')"
            }
            Dialect::Postgres => {
                "INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at, done_at, priority) \
                 VALUES ($1, $2, 'cleanup', $3, 1, 3, to_timestamp($4), to_timestamp($4), 0)"
            }
        };
        sqlx::query(sql)
            .bind(b"{}".to_vec())
            .bind(id)
            .bind(status)
            .bind(done_at)
            .execute(app.state.db.writer())
            .await
            .unwrap();
    }
    let task = FinishedJobRetention { store: app.state.jobs.clone(), keep: std::time::Duration::from_secs(7 * 86_400) };
    assert_eq!(task.run(Utc::now()).await.unwrap(), 1);
    let table = if app.database.is_postgres() { "apalis.jobs" } else { "Jobs" };
    let left: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} ORDER BY id")))
        .fetch_all(app.state.db.reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect();
    assert_eq!(left, ["01J00000000000000000000002", "01J00000000000000000000003", "01J00000000000000000000004"]);
}

async fn set_lock(app: &TestApp, id: &str, until: &str) {
    sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 5 WHERE id = $2")
        .bind(until)
        .bind(id)
        .execute(app.state.db.writer())
        .await
        .unwrap();
}

async fn locked_until(app: &TestApp, id: &str) -> Option<String> {
    sqlx::query("SELECT locked_until FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
        .get("locked_until")
}

#[actix_web::test]
async fn the_expire_lockouts_job_ends_due_lockouts_with_an_audit_entry_and_keeps_running_ones() {
    let app = spawn_app().await;
    let (due, running) = (app.verified_user().await, app.verified_user().await);
    set_lock(&app, &due.id, "2000-01-01T00:00:00.000000Z").await;
    set_lock(&app, &running.id, "2999-01-01T00:00:00.000000Z").await;
    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    handlers::expire_lockouts(&services).await.unwrap();
    assert_eq!(locked_until(&app, &due.id).await, None);
    assert_eq!(locked_until(&app, &running.id).await.as_deref(), Some("2999-01-01T00:00:00.000000Z"));
    let unlocked = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = 'user.unlocked' AND target_id = $1")
            .bind(&due.id)
            .fetch_one(app.state.db.reader())
            .await
            .unwrap()
    };
    assert_eq!(unlocked().await, 1);
    handlers::expire_lockouts(&services).await.unwrap();
    assert_eq!(unlocked().await, 1, "running it again changes nothing");
    assert!(app.state.audit.verify().await.unwrap().ok);
}

#[actix_web::test]
async fn the_cleanup_job_deletes_expired_one_time_tokens_and_keeps_live_ones() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let now = Utc::now();
    for (id, expires) in [("expired", now - Duration::hours(1)), ("live", now + Duration::hours(1))] {
        sqlx::query(
            "INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
             VALUES ($1, $2, 'password_reset', $3, $4, $5)",
        )
        .bind(id)
        .bind(&user.id)
        .bind(format!("hash-{id}"))
        .bind(time::to_db(now - Duration::hours(2)))
        .bind(time::to_db(expires))
        .execute(app.state.db.writer())
        .await
        .unwrap();
    }
    let services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    handlers::cleanup(&services).await.unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM one_time_tokens WHERE id IN ('expired', 'live')")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(left, ["live"]);
}

/// A maintenance step that counts its runs, or fails.
struct Step {
    name: &'static str,
    fail: bool,
    runs: Arc<Mutex<u32>>,
}

impl MaintenanceTask for Step {
    fn name(&self) -> &'static str {
        self.name
    }

    fn run(&self, _now: chrono::DateTime<Utc>) -> BoxFuture<'_, Result<u64, JobError>> {
        *self.runs.lock().unwrap() += 1;
        let fail = self.fail;
        Box::pin(async move { if fail { Err(JobError::retryable("database busy")) } else { Ok(1) } })
    }
}

#[actix_web::test]
async fn maintenance_jobs_run_every_step_even_when_one_fails_and_then_ask_for_a_retry() {
    let app = spawn_app().await;
    let runs: Vec<Arc<Mutex<u32>>> = (0..3).map(|_| Arc::default()).collect();
    let step = |i: usize, fail| {
        Arc::new(Step { name: ["one", "two", "three"][i], fail, runs: runs[i].clone() }) as Arc<dyn MaintenanceTask>
    };
    let mut services = tresor::worker::services(&tresor::worker::Handlers::of(&app.state)).unwrap();
    services.lockouts = vec![step(0, false), step(1, true), step(2, false)];
    services.cleanup = services.lockouts.clone();
    let error = handlers::expire_lockouts(&services).await.unwrap_err();
    assert!(!error.is_permanent(), "a busy database is worth a retry");
    handlers::cleanup(&services).await.unwrap_err();
    assert_eq!(runs.iter().map(|r| *r.lock().unwrap()).collect::<Vec<_>>(), [2, 2, 2]);
    services.lockouts = vec![step(0, false)];
    handlers::expire_lockouts(&services).await.unwrap();
}

#[actix_web::test]
async fn cleanup_deletes_idempotency_records_older_than_a_day_and_keeps_younger_ones() {
    let app = spawn_app().await;
    let now = Utc::now();
    for (scope, age) in [("u:old", Duration::hours(25)), ("u:young", Duration::hours(23))] {
        sqlx::query("INSERT INTO idempotency_keys (scope, fingerprint, status, body, created_at) VALUES ($1, 'f', 201, '{}', $2)")
            .bind(scope)
            .bind(time::to_db(now - age))
            .execute(app.state.db.writer())
            .await
            .unwrap();
    }
    let task = IdempotencyKeyRetention { db: app.state.db.clone() };
    assert_eq!(task.run(now).await.unwrap(), 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT scope FROM idempotency_keys").fetch_all(app.state.db.reader()).await.unwrap();
    assert_eq!(left, ["u:young"]);
}
