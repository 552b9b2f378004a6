//! MFA resets through four eyes, the declared identity for reviewers, and acknowledging
//! notifications.

use serde_json::json;
use tresor::identity::Role;

use crate::support::backoffice::slug;
use crate::support::spawn_app;

#[actix_web::test]
async fn an_approved_mfa_reset_removes_the_factors_revokes_sessions_and_emails_the_user() {
    let app = spawn_app().await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let admin = app.staff_with_mfa(&[Role::Admin]).await;
    let signed = app.signed_in().await;
    let (user_id, email) = (signed.user.id.clone(), signed.user.email.clone());
    let mut user = app.enable_mfa(signed).await;
    let token = app.sign_in_with_mfa(&mut user).await;
    assert_eq!(app.get_authed("/v1/users/me", &token).await.status(), 200);

    let reset = format!("/v1/admin/users/{user_id}/mfa/reset");
    let (status, missing) = app.staff_post(&reset, &support.token, json!({})).await;
    assert_eq!((status, slug(&missing)), (400, "invalid-request"));
    let (status, unknown) = app
        .staff_post(
            &format!("/v1/admin/users/{}/mfa/reset", uuid::Uuid::now_v7()),
            &support.token,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!((status, slug(&unknown)), (404, "not-found"));
    let (status, request) =
        app.staff_post(&reset, &support.token, json!({"reason": "lost phone, identity checked"})).await;
    assert_eq!(status, 202, "{request}");
    assert_eq!((request["kind"].as_str(), request["status"].as_str()), (Some("mfa_reset"), Some("pending")));
    let (status, twice) = app.staff_post(&reset, &admin.token, json!({"reason": "again"})).await;
    assert_eq!((status, slug(&twice)), (409, "approval-pending"));

    let approve = format!("/v1/admin/approvals/{}/approve", request["id"].as_str().unwrap());
    let (status, not_allowed) = app.staff_post(&approve, &support.token, json!({})).await;
    assert_eq!((status, slug(&not_allowed)), (403, "forbidden"), "support cannot decide");
    assert_eq!(app.get_authed("/v1/users/me", &token).await.status(), 200, "nothing happens before approval");
    let (status, approved) = app.staff_post(&approve, &admin.token, json!({})).await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("approved")), "{approved}");

    assert_eq!(app.get_authed("/v1/users/me", &token).await.status(), 401, "sessions are revoked at once");
    let enabled: i64 = sqlx::query_scalar("SELECT mfa_enabled FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(enabled, 0);
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM mfa_totp WHERE user_id = $1) + (SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = $1)",
    )
    .bind(&user_id)
    .fetch_one(app.state.db.reader())
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert_eq!(app.mail_to(&email, "mfa_reset").await.len(), 1);
    let audit = app.audit_actions("mfa.reset").await;
    assert_eq!(
        (audit[0]["actor_id"].as_str(), audit[0]["new"]["was_enabled"].as_bool()),
        (Some(admin.id.as_str()), Some(true))
    );
    // The user signs in with the password alone now.
    let login = app.login(&email, &user.signed.user.password).await;
    let body: serde_json::Value = login.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
}

#[actix_web::test]
async fn reviewers_read_the_declared_identity_and_the_read_is_audited() {
    let app = spawn_app().await;
    let officer = app.staff_with_mfa(&[Role::KycOfficer]).await;
    let body = json!({"email": crate::support::identity::unique_email("declared"), "password": crate::support::identity::PASSWORD,
        "full_name": "Ada Lovelace", "phone": "+14155550123", "date_of_birth": "1990-12-10", "ssn": "123-45-6789"});
    let response = app.register(&body).await;
    assert_eq!(response.status(), 201);
    let user_id = response.json::<serde_json::Value>().await.unwrap()["user_id"].as_str().unwrap().to_owned();

    let (status, identity) = app.staff_get(&format!("/v1/admin/users/{user_id}/identity"), &officer.token).await;
    assert_eq!(status, 200, "{identity}");
    assert_eq!(identity["full_name"], "Ada Lovelace");
    assert_eq!(identity["ssn_last4"], "6789");
    assert_eq!(identity["date_of_birth"], "1990-12-10");
    assert!(identity["documents"].is_array());
    assert!(!identity.to_string().contains("123-45"), "only the last four digits of the SSN");
    let reads = app.audit_actions("pii.read").await;
    assert_eq!((reads.len(), reads[0]["actor_id"].as_str()), (1, Some(officer.id.as_str())));
    let (status, missing) =
        app.staff_get(&format!("/v1/admin/users/{}/identity", uuid::Uuid::now_v7()), &officer.token).await;
    assert_eq!((status, slug(&missing)), (404, "not-found"));
}

#[actix_web::test]
async fn notifications_can_be_acknowledged_and_leave_the_default_list() {
    let app = spawn_app().await;
    let staff = app.staff_with_mfa(&[Role::Support]).await;
    let mut conn = app.state.db.writer().acquire().await.unwrap();
    let id =
        tresor::notifications::notify(&mut conn, "kyc_submitted", "user", "someone", "look at this").await.unwrap();
    drop(conn);
    let (_, listed) = app.staff_get("/v1/admin/notifications", &staff.token).await;
    assert_eq!(listed["items"][0]["id"], id.to_string());

    let ack = format!("/v1/admin/notifications/{id}/ack");
    let (status, body) = app.staff_post(&ack, &staff.token, json!(null)).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    assert_eq!(app.staff_post(&ack, &staff.token, json!(null)).await.0, 204, "twice is fine");
    let (_, listed) = app.staff_get("/v1/admin/notifications", &staff.token).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let (_, all) = app.staff_get("/v1/admin/notifications?include_acknowledged=true", &staff.token).await;
    assert_eq!(all["items"][0]["acknowledged_by"], staff.id);
    let (status, missing) = app
        .staff_post(&format!("/v1/admin/notifications/{}/ack", uuid::Uuid::now_v7()), &staff.token, json!(null))
        .await;
    assert_eq!((status, slug(&missing)), (404, "not-found"));
    assert_eq!(app.audit_actions("notification.acknowledged").await.len(), 2);
}
