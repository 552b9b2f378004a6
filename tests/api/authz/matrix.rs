//! Every staff endpoint × every role × with and without MFA: exactly the combinations the role
//! bundles allow answer 2xx, every other one 403 with the right slug.

use reqwest::Method;
use serde_json::{Value, json};
use tresor::audit::Actor;
use tresor::authz::{Permission, bundle, store};
use tresor::exports::{ExportKind, Format, Request};
use tresor::identity::Role;
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::identity::unique_email;
use crate::support::spawn_app;

pub struct Caller {
    pub id: Uuid,
    pub role: Role,
    pub mfa: bool,
    pub token: String,
}

pub async fn caller(app: &TestApp, role: Role, mfa: bool) -> Caller {
    let signed = app.signed_in_with_roles(&[role]).await;
    let id = Uuid::parse_str(&signed.user.id).unwrap();
    let token = if mfa {
        let mut user = app.enable_mfa(signed).await;
        app.sign_in_with_mfa(&mut user).await
    } else {
        signed.access
    };
    Caller { id, role, mfa, token }
}

/// The staff endpoints and the permission each needs.
fn endpoints(target: &str) -> Vec<(Method, String, Permission)> {
    vec![
        (Method::POST, "/v1/admin/users".into(), Permission::UsersCreate),
        (Method::GET, "/v1/admin/users?q=grace".into(), Permission::UsersRead),
        (Method::GET, format!("/v1/admin/users/{target}"), Permission::UsersRead),
        (Method::POST, format!("/v1/admin/users/{target}/lock"), Permission::UsersLock),
        (Method::POST, format!("/v1/admin/users/{target}/unlock"), Permission::UsersLock),
        (Method::PUT, format!("/v1/admin/users/{target}/roles"), Permission::RolesManage),
        (Method::POST, format!("/v1/admin/users/{target}/permissions"), Permission::RolesManage),
        (Method::DELETE, format!("/v1/admin/users/{target}/permissions/"), Permission::RolesManage),
        (Method::GET, "/v1/admin/audit-logs".into(), Permission::AuditRead),
        (Method::GET, "/v1/admin/audit-logs/verify".into(), Permission::AuditRead),
        (Method::GET, "/v1/admin/security-events".into(), Permission::AuditRead),
        (Method::GET, "/v1/admin/notifications".into(), Permission::UsersRead),
        (Method::GET, "/v1/admin/stats".into(), Permission::UsersRead),
        (Method::GET, "/v1/admin/jobs".into(), Permission::JobsRead),
        (Method::POST, "/v1/admin/audit-logs/export".into(), Permission::AuditExport),
        (Method::GET, "/v1/admin/exports/".into(), Permission::AuditExport),
        (Method::GET, "/v1/admin/kyc".into(), Permission::KycReview),
    ]
}

/// A valid body for each call, so an allowed caller gets 2xx.
fn body_for(method: &Method, path: &str) -> Option<Value> {
    match (method.as_str(), path) {
        ("POST", "/v1/admin/users") => Some(json!({"email": unique_email("invitee"), "full_name": "New Staff"})),
        ("PUT", p) if p.ends_with("/roles") => Some(json!({"roles": ["customer"]})),
        ("POST", p) if p.ends_with("/permissions") => Some(json!({"permission": "jobs:read"})),
        ("POST", p) if p.ends_with("/lock") => Some(json!({"reason": "matrix"})),
        ("POST", "/v1/admin/audit-logs/export") => Some(json!({"format": "csv", "filters": {"action": "user.locked"}})),
        _ => None,
    }
}

#[actix_web::test]
async fn every_staff_endpoint_answers_exactly_the_roles_that_hold_its_permission_with_mfa() {
    let app = spawn_app().await;
    let target = app.user_with_roles(&[Role::Customer]).await;
    let target_id = Uuid::parse_str(&target.id).unwrap();
    let mut callers = Vec::new();
    for role in Role::ALL {
        for mfa in [false, true] {
            callers.push(caller(&app, role, mfa).await);
        }
    }
    let mut checked = 0;
    for caller in &callers {
        for (method, path, permission) in endpoints(&target.id) {
            let path = if path.ends_with("/permissions/") {
                // A fresh grant for every DELETE, so an allowed one has something to delete.
                let mut conn = app.state.db.writer().acquire().await.unwrap();
                let grant = store::insert_grant(&mut conn, target_id, Permission::JobsRead, None, None).await.unwrap();
                format!("{path}{}", grant.id)
            } else if path.ends_with("/exports/") {
                // The caller's own export: another's is 404 even to those allowed.
                let request =
                    Request { kind: ExportKind::Audit, user_id: caller.id, format: Format::Json, filters: None };
                format!("{path}{}", app.state.exports.request(request, &Actor::system()).await.unwrap())
            } else {
                path
            };
            let mut request = app.client.request(method.clone(), app.url(&path)).bearer_auth(&caller.token);
            if let Some(body) = body_for(&method, &path) {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let holds = bundle(caller.role).contains(&permission);
            let what = format!("{:?} mfa={} {method} {path} → {status} {text}", caller.role, caller.mfa);
            if holds && caller.mfa {
                assert!((200..300).contains(&status), "{what}");
            } else {
                assert_eq!(status, 403, "{what}");
                let body: Value = serde_json::from_str(&text).unwrap();
                let slug = if holds { "/problems/mfa-required" } else { "/problems/forbidden" };
                assert_eq!(body["type"], slug, "{what}");
                assert!(!text.contains(&target.email), "no staff data in a refusal: {what}");
            }
            checked += 1;
        }
        // Every user may ask what they may do.
        let answer = app.authz_check(&caller.token, "users:read").await;
        let holds = bundle(caller.role).contains(&Permission::UsersRead);
        assert_eq!(answer["granted"], holds);
        assert_eq!(answer["allowed"], holds && caller.mfa, "{:?} mfa={}", caller.role, caller.mfa);
    }
    assert_eq!(checked, 10 * endpoints(&target.id).len());
}

#[actix_web::test]
async fn customers_with_a_grant_and_mfa_reach_that_endpoint_only() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let id = Uuid::parse_str(&signed.user.id).unwrap();
    let mut user = app.enable_mfa(signed).await;
    let token = app.sign_in_with_mfa(&mut user).await;
    assert_eq!(app.get_authed("/v1/admin/jobs", &token).await.status(), 403);
    let mut conn = app.state.db.writer().acquire().await.unwrap();
    store::insert_grant(&mut conn, id, Permission::JobsRead, None, None).await.unwrap();
    drop(conn);
    app.state.authz.changed(id).await.unwrap();
    assert_eq!(app.get_authed("/v1/admin/jobs", &token).await.status(), 200);
    assert_eq!(app.get_authed("/v1/admin/users", &token).await.status(), 403);
    assert_eq!(app.get_authed("/v1/admin/audit-logs", &token).await.status(), 403);
}
