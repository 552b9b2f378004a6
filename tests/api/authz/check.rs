//! `POST /v1/authz/check`, role changes and grants taking effect without a restart.

use chrono::{Duration, Utc};
use serde_json::json;
use tresor::authz::{Permission, store};
use tresor::identity::Role;
use uuid::Uuid;

use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn customers_hold_no_staff_permission() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    for permission in Permission::ALL {
        let answer = app.authz_check(&alice.access, permission.name()).await;
        assert_eq!(answer, json!({"allowed": false, "granted": false}), "{permission}");
    }
}

#[actix_web::test]
async fn staff_without_mfa_hold_their_bundle_but_are_not_allowed_in() {
    let app = spawn_app().await;
    let support = app.signed_in_with_roles(&[Role::Support]).await;
    let answer = app.authz_check(&support.access, "users:lock").await;
    assert_eq!(answer, json!({"allowed": false, "granted": true, "reason": "mfa-required"}));
    let answer = app.authz_check(&support.access, "roles:manage").await;
    assert_eq!(answer, json!({"allowed": false, "granted": false}));
}

#[actix_web::test]
async fn unknown_permissions_and_anonymous_callers_are_refused() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    let response = app.post_authed("/v1/authz/check", &alice.access, &json!({"permission": "users:fly"})).await;
    let body = assert_problem(response, 400, "invalid-request").await;
    assert!(body["errors"]["permission"][0].as_str().unwrap().contains("kyc:review"));
    let response = app.post_json("/v1/authz/check", &json!({"permission": "users:read"})).await;
    assert_problem(response, 401, "unauthenticated").await;
}

#[actix_web::test]
async fn role_changes_count_on_the_next_request() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    assert_eq!(app.authz_check(&alice.access, "audit:read").await["granted"], false);
    let id = Uuid::parse_str(&alice.user.id).unwrap();
    sqlx::query(
        "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, 'auditor', '2026-01-01T00:00:00.000000Z')",
    )
    .bind(id.to_string())
    .execute(app.state.db.writer())
    .await
    .unwrap();
    app.state.authz.changed(id).await.unwrap();
    assert_eq!(app.authz_check(&alice.access, "audit:read").await["granted"], true, "same token, new role");
}

#[actix_web::test]
async fn an_expiring_grant_stops_counting_at_its_expiry() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    let id = Uuid::parse_str(&alice.user.id).unwrap();
    let mut conn = app.state.db.writer().acquire().await.unwrap();
    let expires = Utc::now() + Duration::milliseconds(1500);
    store::insert_grant(&mut conn, id, Permission::JobsRead, None, Some(expires)).await.unwrap();
    drop(conn);
    app.state.authz.changed(id).await.unwrap();
    assert_eq!(app.authz_check(&alice.access, "jobs:read").await["granted"], true);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1700)).await;
    assert_eq!(app.authz_check(&alice.access, "jobs:read").await["granted"], false, "no restart, no invalidation");
}

/// With Redis, a change made through one process reaches another process's cache on its next
/// request (a second cache stands in for the other process; its own expiry is an hour).
#[actix_web::test]
async fn with_redis_a_role_change_reaches_every_process_at_once() {
    let app = spawn_app().await;
    let Some(redis) = app.state.redis.as_ref() else {
        eprintln!("skipped: needs TEST_REDIS_URL");
        return;
    };
    let other =
        tresor::authz::AccessCache::new(std::time::Duration::from_secs(3600), &app.state.config.settings.redis.prefix);
    let alice = app.signed_in().await;
    let id = Uuid::parse_str(&alice.user.id).unwrap();
    let before = other.get(&app.state.db, Some(redis), id).await.unwrap();
    assert!(!before.allows(Permission::AuditRead, Utc::now()));
    // A process without the shared versions, for contrast.
    let unshared = tresor::authz::AccessCache::new(std::time::Duration::from_secs(3600), "unshared");
    assert!(!unshared.get(&app.state.db, None, id).await.unwrap().allows(Permission::AuditRead, Utc::now()));
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let path = format!("/v1/admin/users/{id}/roles");
    let response =
        app.send_authed(reqwest::Method::PUT, &path, &admin.token, Some(json!({"roles": ["auditor"]}))).await;
    assert_eq!(response.status(), 200);
    let after = other.get(&app.state.db, Some(redis), id).await.unwrap();
    assert!(after.allows(Permission::AuditRead, Utc::now()), "the other process sees the change at once");
    let stale = unshared.get(&app.state.db, None, id).await.unwrap();
    assert!(!stale.allows(Permission::AuditRead, Utc::now()), "without Redis it keeps its cached answer");
}
