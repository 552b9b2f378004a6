//! Exports: a user's own data (requested over HTTP, built by the `build_export` job, mailed as a
//! signed link) and the audit log for staff; expired, altered and foreign links; cleanup and the
//! sweeper.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tresor::audit::Actor;
use tresor::exports::link::{self, ExportLink};
use tresor::exports::{ExpiredExports, ExportKind, ExportSweeper, Format, Request};
use tresor::ledger::account::AccountKind;
use tresor::ledger::service::Caller;
use tresor_jobs::handlers::{MaintenanceTask, SweepWindow, Sweeper};
use uuid::Uuid;

use crate::support::identity::SignedIn;
use crate::support::ledger::money;
use crate::support::{TestApp, assert_problem, spawn_app};

pub async fn request_export(app: &TestApp, signed: &SignedIn) -> Uuid {
    let response = app.post_authed("/v1/users/me/export", &signed.access, &json!({})).await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    body["export_id"].as_str().unwrap().parse().unwrap()
}

pub async fn status(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM exports WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

/// The path of the newest export link mailed to `to`.
pub async fn mailed_link(app: &TestApp, to: &str) -> String {
    let mail = app.mail_to(to, "export_ready").await;
    assert_eq!(mail.len(), 1, "exactly one export email");
    let url = mail[0].data["link"].as_str().unwrap().to_owned();
    url.split_once("/v1/exports/").map(|(_, token)| format!("/v1/exports/{token}")).unwrap()
}

#[actix_web::test]
async fn a_user_export_is_built_mailed_as_a_link_and_downloaded_once_built() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let user_id: Uuid = signed.user.id.parse().unwrap();
    let owner = Caller { user_id, session_id: Uuid::now_v7(), actor: Actor::system() };
    let account = app.state.ledger.open(&owner, AccountKind::Checking, "USD".parse().unwrap()).await.unwrap();
    app.state.ledger.deposit(&owner, account.id, money(2_500), None).await.unwrap();

    let id = request_export(&app, &signed).await;
    assert_eq!(status(&app, id).await, "pending");
    let exporter = &app.state.exports;
    exporter.build(id).await.unwrap();
    exporter.build(id).await.unwrap();
    assert_eq!(status(&app, id).await, "ready");

    let path = mailed_link(&app, &signed.user.email).await;
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["profile"]["email"], signed.user.email.as_str());
    assert_eq!(body["accounts"][0]["account"]["number"], account.number.as_str());
    assert_eq!(body["accounts"][0]["transactions"][0]["amount"], 2_500);
    assert!(body["sessions"].as_array().is_some_and(|s| !s.is_empty()));

    let sealed: String = sqlx::query_scalar("SELECT payload FROM exports WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert!(!sealed.contains(&signed.user.email), "the stored file is sealed");
    let downloads = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'export.downloaded'").await;
    assert_eq!(downloads, 1);
    assert!(app.state.audit.verify().await.unwrap().ok);
}

#[actix_web::test]
async fn altered_expired_foreign_and_unknown_links_are_all_404() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let other = app.signed_in().await;
    let id = request_export(&app, &signed).await;
    app.state.exports.build(id).await.unwrap();
    let path = mailed_link(&app, &signed.user.email).await;
    assert_eq!(app.get(&path).await.status(), 200);

    let mut altered = path.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let ring = &app.state.keys.mac;
    let hour = Utc::now() + Duration::hours(1);
    let foreign = link::sign(ring, ExportLink { export_id: id, user_id: other.user.id.parse().unwrap() }, hour);
    let user_id = signed.user.id.parse().unwrap();
    let expired = link::sign(ring, ExportLink { export_id: id, user_id }, Utc::now() - Duration::seconds(1));
    let unknown = link::sign(ring, ExportLink { export_id: Uuid::now_v7(), user_id }, hour);
    for bad in
        [altered, format!("/v1/exports/{foreign}"), format!("/v1/exports/{expired}"), format!("/v1/exports/{unknown}")]
    {
        assert_problem(app.get(&bad).await, 404, "not-found").await;
    }
    assert_problem(app.get("/v1/exports/not-a-token").await, 404, "not-found").await;
}

#[actix_web::test]
async fn cleanup_drops_expired_files_and_keeps_fresh_ones() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let (old, fresh) = (request_export(&app, &signed).await, request_export(&app, &signed).await);
    let exporter = &app.state.exports;
    exporter.build(old).await.unwrap();
    exporter.build(fresh).await.unwrap();
    sqlx::query("UPDATE exports SET expires_at = $1 WHERE id = $2")
        .bind(tresor::db::time::to_db(Utc::now() - Duration::minutes(1)))
        .bind(old.to_string())
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let task = ExpiredExports { db: app.state.db.clone() };
    assert_eq!(task.run(Utc::now()).await.unwrap(), 1);
    assert_eq!(task.run(Utc::now()).await.unwrap(), 0, "idempotent");
    assert_eq!(status(&app, old).await, "expired");
    assert_eq!(status(&app, fresh).await, "ready");
    let payload: Option<String> = sqlx::query_scalar("SELECT payload FROM exports WHERE id = $1")
        .bind(old.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(payload, None, "the expired file is gone");
}

#[actix_web::test]
async fn the_sweeper_re_enqueues_requests_whose_job_was_lost() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let id = request_export(&app, &signed).await;
    let window =
        SweepWindow { grace: std::time::Duration::from_secs(30), max_age: std::time::Duration::from_secs(3600) };
    let sweeper = ExportSweeper { db: app.state.db.clone(), window, max_attempts: 3 };
    assert!(sweeper.pending(Utc::now()).await.unwrap().is_empty(), "a fresh request is left to its own job");
    let later = sweeper.pending(Utc::now() + Duration::minutes(1)).await.unwrap();
    assert_eq!(later.len(), 1);
    app.state.exports.build(id).await.unwrap();
    assert!(sweeper.pending(Utc::now() + Duration::minutes(1)).await.unwrap().is_empty(), "built ones are done");
}

#[actix_web::test]
async fn an_audit_export_holds_exactly_the_filtered_entries_as_csv() {
    let app = spawn_app().await;
    let staff = app.signed_in().await;
    let customer = app.signed_in().await;
    let staff_id: Uuid = staff.user.id.parse().unwrap();
    let filters = json!({ "user_id": customer.user.id, "action": "auth.login" });
    let request = Request { kind: ExportKind::Audit, user_id: staff_id, format: Format::Csv, filters: Some(filters) };
    let id = app.state.exports.request(request, &Actor::system()).await.unwrap();
    app.state.exports.build(id).await.unwrap();
    assert!(app.mail_to(&staff.user.email, "export_ready").await.is_empty(), "staff fetch audit exports by id");

    let token = link::sign(
        &app.state.keys.mac,
        ExportLink { export_id: id, user_id: staff_id },
        Utc::now() + Duration::hours(1),
    );
    let response = app.get(&format!("/v1/exports/{token}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,id,at,actor_id,action"), "{csv}");
    assert!(lines.len() >= 2, "the customer's sign-in is there: {csv}");
    for line in &lines[1..] {
        assert!(line.contains(",auth.login,"), "only the filtered action: {line}");
        assert!(line.contains(&customer.user.id), "only the filtered user: {line}");
    }
}

#[actix_web::test]
async fn an_export_of_a_purged_user_fails_without_retrying() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let id = request_export(&app, &signed).await;
    sqlx::query("UPDATE users SET email = NULL, purged_at = $1 WHERE id = $2")
        .bind(tresor::db::time::to_db(Utc::now()))
        .bind(&signed.user.id)
        .execute(app.state.db.writer())
        .await
        .unwrap();
    app.state.exports.build(id).await.unwrap();
    assert_eq!(status(&app, id).await, "failed");
}

/// Staff over HTTP: ask for an audit export, poll it, download it through the link it hands
/// out; another staff member's export is 404; bad bodies are 400.
#[actix_web::test]
async fn staff_export_the_audit_log_over_http_and_only_see_their_own_exports() {
    use tresor::identity::Role;
    let app = spawn_app().await;
    let auditor = app.signed_in_with_roles(&[Role::Auditor]).await;
    let mut auditor = app.enable_mfa(auditor).await;
    let token = app.sign_in_with_mfa(&mut auditor).await;
    let other = app.signed_in_with_roles(&[Role::Auditor]).await;
    let mut other = app.enable_mfa(other).await;
    let other_token = app.sign_in_with_mfa(&mut other).await;

    let body = json!({"format": "json", "filters": {"action": "auth.login"}});
    let response = app.post_authed("/v1/admin/audit-logs/export", &token, &body).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id: Uuid = response.json::<Value>().await.unwrap()["export_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(location, format!("/v1/admin/exports/{id}"));
    let pending: Value = app.get_authed(&location, &token).await.json().await.unwrap();
    assert_eq!(pending["status"], "pending");
    assert!(pending["url"].is_null());

    app.state.exports.build(id).await.unwrap();
    let ready: Value = app.get_authed(&location, &token).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    let url = ready["url"].as_str().unwrap();
    let path = &url[url.find("/v1/exports/").unwrap()..];
    let file: Value = app.get(path).await.json().await.unwrap();
    let entries = file["entries"].as_array().unwrap();
    assert!(!entries.is_empty() && entries.iter().all(|e| e["action"] == "auth.login"), "{file}");
    assert_eq!(file["filters"]["action"], "auth.login");

    assert_problem(app.get_authed(&location, &other_token).await, 404, "not-found").await;
    let unknown = format!("/v1/admin/exports/{}", Uuid::now_v7());
    assert_problem(app.get_authed(&unknown, &token).await, 404, "not-found").await;
    for bad in [
        json!({"format": "xml"}),
        json!({}),
        json!({"format": "csv", "filters": {"actor": "x"}}),
        json!({"format": "csv", "filters": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}),
        json!({"format": "csv", "filters": {"user_id": "not-a-uuid"}}),
    ] {
        assert_problem(app.post_authed("/v1/admin/audit-logs/export", &token, &bad).await, 400, "invalid-request")
            .await;
    }
}

/// A build that keeps failing (here: a sealed field that no longer opens) is retried, and its
/// last attempt marks the export `failed` instead of leaving it `pending` for ever.
#[actix_web::test]
async fn an_export_whose_last_attempt_fails_is_marked_failed() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let id = request_export(&app, &signed).await;
    sqlx::query("UPDATE users SET phone = 'v1:unknown-key:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = $1")
        .bind(&signed.user.id)
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let exporter = &app.state.exports;
    assert!(exporter.attempt(id, 1, 3).await.is_err());
    assert_eq!(status(&app, id).await, "pending", "attempts are left");
    assert!(exporter.attempt(id, 3, 3).await.is_err());
    assert_eq!(status(&app, id).await, "failed");
    assert!(app.mail_to(&signed.user.email, "export_ready").await.is_empty());
}
