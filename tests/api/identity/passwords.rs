//! Password forgot / reset and change.

use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{TestApp, assert_problem, spawn_app};

const NEW: &str = "a brand new passphrase 2026";

impl TestApp {
    pub async fn forgot(&self, email: &str) -> reqwest::Response {
        self.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await
    }

    pub async fn reset(&self, token: &str, password: &str) -> reqwest::Response {
        self.post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": password })).await
    }

    pub async fn change_password(&self, access: &str, current: &str, new: &str) -> reqwest::Response {
        self.post_authed("/v1/users/me/password", access, &json!({"current_password": current, "new_password": new}))
            .await
    }

    /// The reset token mailed to `email` (the request is handled after the 202).
    pub async fn reset_token(&self, email: &str) -> String {
        for _ in 0..200 {
            if !self.mail_to(email, "password_reset").await.is_empty() {
                return self.link_token(email, "password_reset").await;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no reset email to {email}");
    }
}

#[actix_web::test]
async fn forgot_always_answers_202_and_mails_only_real_accounts() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    assert_eq!(app.forgot(&user.email).await.status(), 202);
    let stranger = unique_email("nobody");
    assert_eq!(app.forgot(&stranger).await.status(), 202);
    assert_eq!(app.forgot("not an email").await.status(), 202);
    let token = app.reset_token(&user.email).await;
    assert_eq!(token.len(), 43);
    assert!(app.mail_to(&stranger, "password_reset").await.is_empty());
}

#[actix_web::test]
async fn a_reset_sets_the_password_ends_every_session_lifts_a_lockout_and_tells_the_owner() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let email = signed.user.email.clone();
    for _ in 0..5 {
        app.login(&email, "wrong password entirely").await;
    }
    app.forgot(&email).await;
    let token = app.reset_token(&email).await;

    let weak = assert_problem(app.reset(&token, "password1234").await, 400, "invalid-request").await;
    assert!(weak["errors"]["new_password"].is_array(), "{weak}");
    assert_eq!(app.reset(&token, NEW).await.status(), 204, "a refused password does not spend the token");
    assert_problem(app.reset(&token, NEW).await, 400, "invalid-token").await;

    assert_eq!(app.sessions(&signed.access).await.status(), 401, "every session ended");
    assert_problem(app.refresh(&signed.refresh).await, 401, "invalid-token").await;
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid-credentials").await;
    assert_eq!(app.login(&email, NEW).await.status(), 200, "the lockout was lifted");
    assert_eq!(app.mail_to(&email, "password_changed").await.len(), 1);
}

#[actix_web::test]
async fn reset_tokens_expire_and_junk_is_refused() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    app.forgot(&user.email).await;
    let token = app.reset_token(&user.email).await;
    sqlx::query(
        "UPDATE one_time_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE purpose = 'password_reset'",
    )
    .execute(app.state.db.writer())
    .await
    .unwrap();
    assert_problem(app.reset(&token, NEW).await, 400, "invalid-token").await;
    assert_problem(app.reset("short", NEW).await, 400, "invalid-token").await;
    let verify_token = app.link_token(&user.email, "verify_email").await;
    assert_problem(app.reset(&verify_token, NEW).await, 400, "invalid-token").await;
}

#[actix_web::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let here = app.signed_in().await;
    let elsewhere = app.sign_in(here.user_clone()).await;
    let wrong = app.change_password(&here.access, "not my password", NEW).await;
    assert_problem(wrong, 403, "invalid-credentials").await;
    let weak = app.change_password(&here.access, PASSWORD, "lovelace lovelace").await;
    assert_problem(weak, 400, "invalid-request").await;
    assert_eq!(app.change_password(&here.access, PASSWORD, NEW).await.status(), 204);
    assert_eq!(app.sessions(&here.access).await.status(), 200, "this session stays");
    assert_eq!(app.sessions(&elsewhere.access).await.status(), 401, "the others end");
    assert_eq!(app.login(&here.user.email, NEW).await.status(), 200);
    assert_eq!(app.mail_to(&here.user.email, "password_changed").await.len(), 1);
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT new_value FROM audit_log WHERE action = 'user.password_changed'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].contains(NEW) && !audit[0].contains("argon2"), "{}", audit[0]);
}

#[actix_web::test]
async fn guessing_the_current_password_counts_toward_the_lockout() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    for _ in 0..5 {
        let response = app.change_password(&signed.access, "guess guess guess", NEW).await;
        assert_eq!(response.status(), 403);
    }
    assert_eq!(app.change_password(&signed.access, PASSWORD, NEW).await.status(), 403, "locked now");
    let locked: Value = app.login(&signed.user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(locked["type"], "/problems/invalid-credentials");
}
