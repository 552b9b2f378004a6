//! The staff endpoints' behaviour: invites, filters, locks, roles, grants, audit.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tresor::identity::Role;

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn staff_invite_users_who_set_their_password_from_the_email() {
    let app = spawn_app().await;
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let email = unique_email("invitee");
    let body = json!({"email": email, "full_name": "Kay Officer", "roles": ["kyc_officer"]});
    let response = app.post_authed("/v1/admin/users", &admin.token, &body).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let user: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/v1/admin/users/{}", user["id"].as_str().unwrap()));
    assert_eq!(user["roles"], json!(["kyc_officer"]));
    assert_eq!(user["mfa_enabled"], false);
    let mail = app.mail_to(&email, "invite").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].data["expires_in_hours"], 72);
    let token = app.link_token(&email, "invite").await;
    let accept = json!({"token": token, "password": PASSWORD});
    assert_eq!(app.post_json("/v1/auth/invite/accept", &accept).await.status(), 204);
    assert_problem(app.post_json("/v1/auth/invite/accept", &accept).await, 400, "invalid-token").await;
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    // Audited with the acting staff member as actor.
    let actor: Option<String> =
        sqlx::query_scalar("SELECT actor_id FROM audit_log WHERE action = 'user.created' AND target_id = $1")
            .bind(user["id"].as_str().unwrap())
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(actor.as_deref(), Some(admin.id.as_str()));
    // Bad input.
    assert_problem(app.post_authed("/v1/admin/users", &admin.token, &body).await, 409, "email-taken").await;
    let bad = json!({"email": "not an email", "full_name": "", "roles": ["pirate"]});
    let problem =
        assert_problem(app.post_authed("/v1/admin/users", &admin.token, &bad).await, 400, "invalid-request").await;
    assert!(problem["errors"]["email"].is_array());
    let bad = json!({"email": unique_email("x"), "full_name": "X Y", "roles": ["pirate"]});
    let problem =
        assert_problem(app.post_authed("/v1/admin/users", &admin.token, &bad).await, 400, "invalid-request").await;
    assert!(problem["errors"]["roles"].is_array());
}

#[actix_web::test]
async fn users_are_found_by_text_role_kyc_status_and_lock() {
    let app = spawn_app().await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let ada = app.verified_user().await;
    let _officer = app.user_with_roles(&[Role::KycOfficer]).await;
    let list = |query: &'static str| {
        let app = &app;
        let token = support.token.clone();
        async move {
            let response = app.get_authed(&format!("/v1/admin/users{query}"), &token).await;
            assert_eq!(response.status(), 200, "{query}");
            response.json::<Value>().await.unwrap()
        }
    };
    let all = list("").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let found = list("?role=kyc_officer").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let ada_part = ada.email.split('@').next().unwrap().to_uppercase();
    let found =
        app.get_authed(&format!("/v1/admin/users?q={ada_part}"), &support.token).await.json::<Value>().await.unwrap();
    assert_eq!(found["items"][0]["email"], ada.email.as_str());
    assert_eq!(list("?kyc_status=approved").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(list("?locked=true").await["items"].as_array().unwrap().len(), 0);
    let page = list("?limit=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_authed(&format!("/v1/admin/users?limit=2&cursor={cursor}"), &support.token)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    for bad in ["?limit=0", "?limit=500", "?role=pirate", "?locked=maybe", "?cursor=zzz", "?colour=red"] {
        let response = app.get_authed(&format!("/v1/admin/users{bad}"), &support.token).await;
        assert_problem(response, 400, "invalid-request").await;
    }
    let missing = uuid::Uuid::now_v7();
    assert_problem(app.get_authed(&format!("/v1/admin/users/{missing}"), &support.token).await, 404, "not-found").await;
    assert_problem(app.get_authed("/v1/admin/users/not-a-uuid", &support.token).await, 400, "invalid-request").await;
}

#[actix_web::test]
async fn a_staff_lock_holds_until_staff_unlock_it_and_the_lockout_job_leaves_it() {
    let app = spawn_app().await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let ada = app.signed_in().await;
    let path = format!("/v1/admin/users/{}/lock", ada.user.id);
    let response = app.post_authed(&path, &support.token, &json!({"reason": "suspected fraud"})).await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["locked"], true);
    assert!(user["staff_locked_at"].is_string());
    assert_problem(app.get_authed("/v1/users/me", &ada.access).await, 401, "invalid-token").await;
    assert_problem(app.login(&ada.user.email, PASSWORD).await, 401, "invalid-credentials").await;
    let far = Utc::now() + Duration::days(365);
    tresor::identity::maintenance::expire_lockouts(&app.state.db, far).await.unwrap();
    assert_problem(app.login(&ada.user.email, PASSWORD).await, 401, "invalid-credentials").await;
    let locked = app.get_authed("/v1/admin/users?locked=true", &support.token).await.json::<Value>().await.unwrap();
    assert_eq!(locked["items"].as_array().unwrap().len(), 1);
    let response =
        app.post_authed(&format!("/v1/admin/users/{}/unlock", ada.user.id), &support.token, &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["locked"], false);
    assert_eq!(app.login(&ada.user.email, PASSWORD).await.status(), 200);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE actor_id = $1 ORDER BY seq")
        .bind(&support.id)
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert!(
        actions.contains(&"user.locked".to_owned()) && actions.contains(&"user.unlocked".to_owned()),
        "{actions:?}"
    );
    let long = json!({"reason": "x".repeat(501)});
    assert_problem(app.post_authed(&path, &support.token, &long).await, 400, "invalid-request").await;
    let missing = format!("/v1/admin/users/{}/lock", uuid::Uuid::now_v7());
    assert_problem(app.post_authed(&missing, &support.token, &json!({})).await, 404, "not-found").await;
}

#[actix_web::test]
async fn role_changes_through_the_api_count_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    assert_eq!(app.get_authed("/v1/admin/users", &support.token).await.status(), 200);
    let path = format!("/v1/admin/users/{}/roles", support.id);
    let response = app.send_authed(Method::PUT, &path, &admin.token, Some(json!({"roles": ["auditor"]}))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["roles"], json!(["auditor"]));
    assert_problem(app.get_authed("/v1/admin/users", &support.token).await, 403, "forbidden").await;
    assert_eq!(app.get_authed("/v1/admin/audit-logs", &support.token).await.status(), 200);
    // The last admin keeps the role.
    let own = format!("/v1/admin/users/{}/roles", admin.id);
    let response = app.send_authed(Method::PUT, &own, &admin.token, Some(json!({"roles": []}))).await;
    assert_problem(response, 409, "last-admin").await;
    let response = app.send_authed(Method::PUT, &path, &admin.token, Some(json!({"roles": ["pirate"]}))).await;
    assert_problem(response, 400, "invalid-request").await;
    let audit = app
        .get_authed(&format!("/v1/admin/audit-logs?action=user.roles_changed&user_id={}", support.id), &admin.token)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["actor_id"], admin.id.as_str());
    assert_eq!(items[0]["old"]["roles"], json!(["support"]));
    let verify = app.get_authed("/v1/admin/audit-logs/verify", &admin.token).await.json::<Value>().await.unwrap();
    assert_eq!(verify["ok"], true);
}

#[actix_web::test]
async fn grants_through_the_api_expire_and_can_be_revoked() {
    let app = spawn_app().await;
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let customer = app.staff_with_mfa(&[Role::Customer]).await;
    let path = format!("/v1/admin/users/{}/permissions", customer.id);
    let past = json!({"permission": "jobs:read", "expires_at": Utc::now() - Duration::seconds(1)});
    assert_problem(app.post_authed(&path, &admin.token, &past).await, 400, "invalid-request").await;
    let unknown = json!({"permission": "jobs:delete"});
    assert_problem(app.post_authed(&path, &admin.token, &unknown).await, 400, "invalid-request").await;
    let soon = json!({"permission": "jobs:read", "expires_at": Utc::now() + Duration::seconds(2)});
    let response = app.post_authed(&path, &admin.token, &soon).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("location"));
    assert_eq!(app.get_authed("/v1/admin/jobs", &customer.token).await.status(), 200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2300)).await;
    assert_problem(app.get_authed("/v1/admin/jobs", &customer.token).await, 403, "forbidden").await;
    let forever = json!({"permission": "audit:read"});
    let grant: Value = app.post_authed(&path, &admin.token, &forever).await.json().await.unwrap();
    assert_eq!(app.get_authed("/v1/admin/security-events", &customer.token).await.status(), 200);
    let one: Value =
        app.get_authed(&format!("/v1/admin/users/{}", customer.id), &admin.token).await.json().await.unwrap();
    assert_eq!(one["grants"].as_array().unwrap().len(), 1, "the expired grant is not listed");
    let revoke = format!("{path}/{}", grant["id"].as_str().unwrap());
    assert_eq!(app.send_authed(Method::DELETE, &revoke, &admin.token, None).await.status(), 204);
    assert_problem(app.get_authed("/v1/admin/security-events", &customer.token).await, 403, "forbidden").await;
    assert_problem(app.send_authed(Method::DELETE, &revoke, &admin.token, None).await, 404, "not-found").await;
}

#[actix_web::test]
async fn staff_read_events_notifications_stats_and_jobs() {
    let app = spawn_app().await;
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let _ = app.login(&admin.email, "wrong password for the record").await;
    let _ = app.wait_for_events("login_failed", 1).await;
    let events: Value =
        app.get_authed("/v1/admin/security-events?kind=login_failed", &admin.token).await.json().await.unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    assert_eq!(events["items"][0]["user_id"], admin.id.as_str());
    let notifications: Value = app.get_authed("/v1/admin/notifications", &admin.token).await.json().await.unwrap();
    assert!(notifications["items"].is_array());
    let stats: Value = app.get_authed("/v1/admin/stats", &admin.token).await.json().await.unwrap();
    assert_eq!(stats["users_by_status"]["active"], 1);
    assert_eq!(stats["transfers_today"], 0);
    let jobs: Value = app.get_authed("/v1/admin/jobs", &admin.token).await.json().await.unwrap();
    assert!(jobs["queues"].as_array().unwrap().iter().any(|q| q["queue"] == "send_email"), "{jobs}");
    let bad =
        app.get_authed("/v1/admin/audit-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", &admin.token).await;
    assert_problem(bad, 400, "invalid-request").await;
    assert_problem(app.get_authed("/v1/admin/audit-logs?from=yesterday", &admin.token).await, 400, "invalid-request")
        .await;
}

#[actix_web::test]
async fn the_last_unlocked_admin_cannot_be_locked_and_nobody_locks_themselves() {
    let app = spawn_app().await;
    let ada = app.staff_with_mfa(&[Role::Admin]).await;
    let bob = app.staff_with_mfa(&[Role::Admin]).await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let lock = |id: &str| format!("/v1/admin/users/{id}/lock");
    // Nobody locks themselves, even with another admin left.
    assert_problem(app.post_authed(&lock(&ada.id), &ada.token, &json!({})).await, 409, "self-lock").await;
    // Two admins locking each other at once: one wins, and one admin stays unlocked.
    let (lock_bob, lock_ada, empty) = (lock(&bob.id), lock(&ada.id), json!({}));
    let (a, b) =
        tokio::join!(app.post_authed(&lock_bob, &ada.token, &empty), app.post_authed(&lock_ada, &bob.token, &empty));
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    // The loser is refused by whichever check sees the winner's lock first: its session (401),
    // its standing (403), or the last-admin rule (409).
    assert!(statuses.iter().all(|s| [200, 401, 403, 409].contains(s)), "{statuses:?}");
    let (winner, loser) = if statuses[0] == 200 { (&ada, &bob) } else { (&bob, &ada) };
    // The one left is the last unlocked admin: neither staff nor they themselves can lock them.
    assert_problem(app.post_authed(&lock(&winner.id), &support.token, &json!({})).await, 409, "last-admin").await;
    assert_problem(app.post_authed(&lock(&winner.id), &winner.token, &json!({})).await, 409, "last-admin").await;
    // Nor can they lose the role while the other admin is locked.
    let own = format!("/v1/admin/users/{}/roles", winner.id);
    let response = app.send_authed(Method::PUT, &own, &winner.token, Some(json!({"roles": ["support"]}))).await;
    assert_problem(response, 409, "last-admin").await;
    let unlocked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE r.role = 'admin' AND u.staff_locked_at IS NULL",
    )
    .fetch_one(app.state.db.reader())
    .await
    .unwrap();
    assert_eq!(unlocked, 1);
    assert_eq!(app.login(&winner.email, PASSWORD).await.status(), 200);
    // Once the other is unlocked, either may be locked again.
    let unlock = format!("/v1/admin/users/{}/unlock", loser.id);
    assert_eq!(app.post_authed(&unlock, &support.token, &json!({})).await.status(), 200);
    assert_eq!(app.post_authed(&lock(&winner.id), &support.token, &json!({})).await.status(), 200);
}
