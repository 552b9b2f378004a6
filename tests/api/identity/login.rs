//! `POST /v1/auth/login`: the token pair, the one `invalid-credentials` answer, MFA branch,
//! new-device mail, rehash, timing.

use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{assert_problem, spawn_app};

#[actix_web::test]
async fn a_verified_user_signs_in_and_gets_a_token_pair() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let response = app.login(&user.email.to_uppercase(), &user.password).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    assert!(uuid::Uuid::parse_str(body["session_id"].as_str().unwrap()).is_ok());
    let sessions = app.sessions(body["access_token"].as_str().unwrap()).await;
    assert_eq!(sessions.status(), 200);
}

#[actix_web::test]
async fn unknown_email_wrong_password_and_locked_answer_exactly_alike() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let unknown = app.login(&unique_email("nobody"), PASSWORD).await;
    let wrong = app.login(&user.email, "not the password at all").await;
    let (a, b) = (unknown.status(), wrong.status());
    let (a_body, b_body): (Value, Value) = (unknown.json().await.unwrap(), wrong.json().await.unwrap());
    assert_eq!((a.as_u16(), b.as_u16()), (401, 401));
    assert_eq!(a_body, b_body, "identical bodies");
    assert_eq!(a_body["type"], "/problems/invalid-credentials");
    sqlx::query("UPDATE users SET locked_until = '2999-01-01T00:00:00.000000Z'")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let locked = app.login(&user.email, &user.password).await;
    assert_eq!(locked.status(), 401);
    assert_eq!(locked.json::<Value>().await.unwrap(), a_body, "locked, even with the right password");
    let mut reasons: Vec<String> =
        app.wait_for_events("login_failed", 3).await.iter().map(|e| e["detail"]["reason"].to_string()).collect();
    reasons.sort();
    assert_eq!(reasons, ["\"locked\"", "\"unknown_email\"", "\"wrong_password\""]);
}

#[actix_web::test]
async fn an_unverified_account_hears_email_unverified_only_after_a_correct_password() {
    let app = spawn_app().await;
    let email = unique_email("pending");
    app.register_user(&email).await;
    assert_problem(app.login(&email, "wrong password entirely").await, 401, "invalid-credentials").await;
    assert_problem(app.login(&email, PASSWORD).await, 403, "email-unverified").await;
}

#[actix_web::test]
async fn malformed_login_input_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let problem = assert_problem(app.login("nope", PASSWORD).await, 400, "invalid-request").await;
    assert!(problem["errors"]["email"].is_array());
    let problem = assert_problem(app.login("a@example.com", "").await, 400, "invalid-request").await;
    assert!(problem["errors"]["password"].is_array());
}

#[actix_web::test]
async fn with_mfa_on_a_correct_password_yields_an_mfa_token_not_tokens() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    sqlx::query("UPDATE users SET mfa_enabled = 1").execute(app.state.db.writer()).await.unwrap();
    let body: Value = app.login(&user.email, &user.password).await.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["mfa_token"].as_str().unwrap().len(), 43);
    assert!(body.get("access_token").is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM mfa_challenges").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0, "no session before the code");
}

#[actix_web::test]
async fn signing_in_from_a_new_device_emails_the_owner() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let email = user.email.clone();
    app.sign_in(user).await;
    assert!(app.mail_to(&email, "new_sign_in").await.is_empty(), "the first sign-in is not news");
    let same = app.login(&email, PASSWORD).await;
    assert_eq!(same.status(), 200);
    assert!(app.mail_to(&email, "new_sign_in").await.is_empty(), "same device again");
    let other = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", "NewPhone/1.0")
        .json(&json!({"email": email, "password": PASSWORD, "device_name": "new phone"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    let mail = app.mail_to(&email, "new_sign_in").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].data["device_name"], "new phone");
}
