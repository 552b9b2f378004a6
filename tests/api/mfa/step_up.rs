//! Disabling MFA and the step-up rule for sensitive operations.

use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::identity::PASSWORD;
use crate::support::{assert_problem, spawn_app, spawn_app_with};

#[actix_web::test]
async fn disabling_needs_the_password_and_a_current_code() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let access = ada.signed.access.clone();
    let code = ada.authenticator.code().await;
    let body = json!({"password": "not my password at all", "code": code});
    assert_problem(app.post_authed("/v1/mfa/totp/disable", &access, &body).await, 403, "invalid-credentials").await;
    let body = json!({"password": PASSWORD, "code": "000000"});
    let response = app.post_authed("/v1/mfa/totp/disable", &access, &body).await;
    assert_problem(response, 403, "invalid-mfa-code").await;
    assert_problem(
        app.post_authed("/v1/mfa/totp/disable", &access, &json!({"password": PASSWORD})).await,
        400,
        "invalid-request",
    )
    .await;
    let body = json!({"password": PASSWORD, "code": code});
    assert_eq!(app.post_authed("/v1/mfa/totp/disable", &access, &body).await.status(), 204);
    assert_eq!(app.mail_to(&ada.signed.user.email, "mfa_disabled").await.len(), 1);
    let me: Value = app.get_authed("/v1/users/me", &access).await.json().await.unwrap();
    assert_eq!(me["mfa_enabled"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM mfa_backup_codes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM mfa_totp").await, 0);
    let response = app.login(&ada.signed.user.email, PASSWORD).await;
    assert!(response.json::<Value>().await.unwrap()["access_token"].is_string(), "no code needed any more");
    assert_problem(app.post_authed("/v1/mfa/totp/disable", &access, &body).await, 409, "mfa-not-enabled").await;
}

#[actix_web::test]
async fn sensitive_operations_need_a_recent_mfa_and_step_up_renews_it() {
    // A zero-minute window: no session is ever recent enough, so the guard's refusal shows.
    let app = spawn_app_with(|f| f.merge(Serialized::default("mfa.step_up_minutes", 0))).await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let access = ada.signed.access.clone();
    let code = ada.authenticator.code().await;
    let attempts = [
        ("/v1/mfa/totp/disable", json!({"password": PASSWORD, "code": code})),
        ("/v1/mfa/backup-codes", json!({"code": code})),
        ("/v1/users/me/password", json!({"current_password": PASSWORD, "new_password": "another fine passphrase 7"})),
    ];
    for (path, body) in &attempts {
        let response = app.post_authed(path, &access, body).await;
        assert_problem(response, 403, "mfa-step-up-required").await;
    }
    // Step-up with a code or a backup code is accepted (it just cannot outlast a zero window).
    let code = ada.authenticator.code().await;
    assert_eq!(app.post_authed("/v1/mfa/step-up", &access, &json!({"code": code})).await.status(), 204);
    assert_problem(app.post_authed("/v1/mfa/step-up", &access, &json!({"code": code})).await, 403, "invalid-mfa-code")
        .await;
    let backup = ada.backup_codes[0].clone();
    assert_eq!(app.post_authed("/v1/mfa/step-up", &access, &json!({"backup_code": backup})).await.status(), 204);
}

#[actix_web::test]
async fn a_session_that_passed_mfa_recently_may_change_the_password() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let access = app.sign_in_with_mfa(&mut ada).await;
    let body = json!({"current_password": PASSWORD, "new_password": "another fine passphrase 7"});
    assert_eq!(app.post_authed("/v1/users/me/password", &access, &body).await.status(), 204);
}

#[actix_web::test]
async fn users_without_mfa_are_not_asked_to_step_up_for_a_password_change() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("mfa.step_up_minutes", 0))).await;
    let ada = app.signed_in().await;
    let body = json!({"current_password": PASSWORD, "new_password": "another fine passphrase 7"});
    assert_eq!(app.post_authed("/v1/users/me/password", &ada.access, &body).await.status(), 204);
}

/// A transfer above the step-up threshold: refused on a session without MFA, accepted once the
/// same customer signs in with a code (end to end through the ledger).
#[actix_web::test]
async fn a_large_transfer_needs_a_session_that_passed_mfa_and_then_goes_through() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    app.approve_kyc(&signed.user.id).await;
    // A second session signed in with the password alone, before MFA is on (the session that
    // enables MFA counts as having passed it).
    let password_only = app.sign_in(signed.user_clone()).await.access;
    let mut ada = app.enable_mfa(signed).await;
    let open = |token: String| {
        let app = &app;
        async move {
            let body = json!({"kind": "checking", "currency": "USD"});
            let response = app.post_authed("/v1/accounts", &token, &body).await;
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()
        }
    };
    let (from, to) = (open(password_only.clone()).await, open(password_only.clone()).await);
    let threshold = app.state.config.settings.ledger.step_up_threshold;
    let money = |token: &str, path: String, body: Value| {
        app.client
            .post(app.url(&path))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
    };
    let deposit = money(
        &password_only,
        format!("/v1/accounts/{}/deposits", from["id"].as_str().unwrap()),
        json!({"amount": threshold * 2}),
    );
    assert_eq!(deposit.await.unwrap().status(), 201);
    let transfer = json!({"from_account_id": from["id"], "to_account_number": to["number"], "amount": threshold + 1});
    let refused = money(&password_only, "/v1/transfers".into(), transfer.clone()).await.unwrap();
    assert_problem(refused, 403, "mfa-step-up-required").await;

    let with_mfa = app.sign_in_with_mfa(&mut ada).await;
    let sent = money(&with_mfa, "/v1/transfers".into(), transfer).await.unwrap();
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap_or_default());
}
