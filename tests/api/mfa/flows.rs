//! Enrolment, sign-in with a code, replay refused, wrong codes locking the MFA step.

use base64::Engine;
use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::mfa::{Authenticator, claims, hotp, unix_now};
use crate::support::{assert_problem, spawn_app, spawn_app_with};

#[actix_web::test]
async fn setup_answers_a_secret_an_otpauth_uri_and_a_qr_png() {
    let app = spawn_app().await;
    let ada = app.signed_in().await;
    let setup = app.mfa_setup(&ada.access).await;
    let secret = setup["secret"].as_str().unwrap();
    assert_eq!(crate::support::mfa::base32_decode(secret).len(), 20, "160-bit secret");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let account = ada.user.email.replace('@', "%40");
    assert!(uri.starts_with(&format!("otpauth://totp/tresor:{account}?")), "{uri}");
    for part in [&format!("secret={secret}"), "issuer=tresor"] {
        assert!(uri.contains(part), "{uri} lacks {part}");
    }
    // SHA-1, 6 digits and 30 s are the Key URI format's defaults: absent, or stated as such.
    for (key, default) in [("algorithm", "SHA1"), ("digits", "6"), ("period", "30")] {
        if let Some(value) = uri.split(['?', '&']).find_map(|p| p.strip_prefix(&format!("{key}="))) {
            assert_eq!(value, default, "{uri}");
        }
    }
    let png = base64::engine::general_purpose::STANDARD.decode(setup["qr_png_base64"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let me: Value = app.get_authed("/v1/users/me", &ada.access).await.json().await.unwrap();
    assert_eq!(me["mfa_enabled"], false, "pending until enabled");
    // Signing in still needs no code while pending.
    let response = app.login(&ada.user.email, &ada.user.password).await;
    assert!(response.json::<Value>().await.unwrap()["access_token"].is_string());
}

#[actix_web::test]
async fn enabling_needs_a_code_from_the_new_secret_and_answers_ten_backup_codes() {
    let app = spawn_app().await;
    let ada = app.signed_in().await;
    let response = app.post_authed("/v1/mfa/totp/enable", &ada.access, &json!({"code": "123456"})).await;
    assert_problem(response, 409, "mfa-not-set-up").await;
    let setup = app.mfa_setup(&ada.access).await;
    let mut authenticator = Authenticator::new(setup["secret"].as_str().unwrap());
    let wrong = hotp(&authenticator.key, unix_now() / 30 + 5, 6);
    let response = app.post_authed("/v1/mfa/totp/enable", &ada.access, &json!({"code": wrong})).await;
    assert_problem(response, 403, "invalid-mfa-code").await;
    for bad in ["12345", "abcdef", "1234567"] {
        let response = app.post_authed("/v1/mfa/totp/enable", &ada.access, &json!({"code": bad})).await;
        assert_problem(response, 400, "invalid-request").await;
    }
    let code = authenticator.code().await;
    let response = app.post_authed("/v1/mfa/totp/enable", &ada.access, &json!({"code": code})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let codes = body["backup_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let unique: std::collections::BTreeSet<_> = codes.iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(unique.len(), 10);
    let me: Value = app.get_authed("/v1/users/me", &ada.access).await.json().await.unwrap();
    assert_eq!(me["mfa_enabled"], true);
    assert_eq!(app.mail_to(&ada.user.email, "mfa_enabled").await.len(), 1);
    let response = app.post_authed("/v1/mfa/totp/setup", &ada.access, &json!({})).await;
    assert_problem(response, 409, "mfa-already-enabled").await;
    let response = app.post_authed("/v1/mfa/totp/enable", &ada.access, &json!({"code": code})).await;
    assert_problem(response, 409, "mfa-already-enabled").await;
    let stored: i64 = app.count("SELECT COUNT(*) FROM mfa_backup_codes WHERE used_at IS NULL").await;
    assert_eq!(stored, 10);
}

#[actix_web::test]
async fn sign_in_with_mfa_gives_tokens_with_mfa_true_and_a_code_is_accepted_once() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let code = ada.authenticator.code().await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": code})).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(claims(pair["access_token"].as_str().unwrap())["mfa"], true);
    assert_eq!(app.get_authed("/v1/users/me", pair["access_token"].as_str().unwrap()).await.status(), 200);
    // The refreshed pair keeps mfa: true.
    let refreshed: Value = app.refresh(pair["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(claims(refreshed["access_token"].as_str().unwrap())["mfa"], true);

    // The mfa_token is spent.
    let again = ada.authenticator.code().await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": again})).await;
    assert_problem(response, 401, "invalid-token").await;

    // The same code on a new sign-in: refused (replay), even inside its 30 s window.
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": code})).await;
    let body = assert_problem(response, 401, "invalid-mfa-code").await;
    assert!(body["detail"].as_str().unwrap().contains("tries left"));
    // A later step than the accepted one still works on that sign-in (`again` was never
    // checked: the spent token was refused first).
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": again})).await;
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn five_wrong_codes_lock_the_mfa_step_of_that_sign_in() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("rate_limits.mfa", "off"))).await;
    let signed = app.signed_in().await;
    let mut ada = app.enable_mfa(signed).await;
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let wrong = hotp(&ada.authenticator.key, unix_now() / 30 + 7, 6);
    for n in 1..=4 {
        let response = app.auth_mfa(&json!({"mfa_token": token, "code": wrong})).await;
        let body = assert_problem(response, 401, "invalid-mfa-code").await;
        assert!(body["detail"].as_str().unwrap().contains(&format!("{} tries left", 5 - n)), "{body}");
    }
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": wrong})).await;
    assert_problem(response, 401, "mfa-locked").await;
    let right = ada.authenticator.code().await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "code": right})).await;
    assert_problem(response, 401, "mfa-locked").await;
    let response = app.auth_mfa(&json!({"mfa_token": token, "backup_code": ada.backup_codes[0]})).await;
    assert_problem(response, 401, "mfa-locked").await;
    assert_eq!(app.security_events("mfa_failed").await.len(), 4);
    assert_eq!(app.security_events("mfa_locked").await.len(), 1);
    // A new sign-in (password again) gets its own five tries.
    let access = app.sign_in_with_mfa(&mut ada).await;
    assert_eq!(app.get_authed("/v1/users/me", &access).await.status(), 200);
}

#[actix_web::test]
async fn parallel_guesses_check_at_most_five_codes_per_mfa_token() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("rate_limits.mfa", "off"))).await;
    let signed = app.signed_in().await;
    let ada = app.enable_mfa(signed).await;
    let token = app.mfa_token(&ada.signed.user.email, &ada.signed.user.password).await;
    let guesses = (0..30).map(|n| {
        let code = format!("{:06}", (n * 7919) % 1_000_000);
        app.client.post(app.url("/v1/auth/mfa")).json(&json!({"mfa_token": token, "code": code})).send()
    });
    let mut checked = 0;
    for response in futures::future::join_all(guesses).await {
        let body: Value = response.unwrap().json().await.unwrap();
        if body["type"] == "/problems/invalid-mfa-code" || body.get("access_token").is_some() {
            checked += 1;
        }
    }
    let failed = app.security_events("mfa_failed").await.len() + app.security_events("mfa_locked").await.len();
    assert!(checked <= 5 && failed <= 5, "{checked} answered as checked, {failed} recorded");
}

#[actix_web::test]
async fn the_mfa_step_refuses_bad_input_with_problems() {
    let app = spawn_app().await;
    let response = app.auth_mfa(&json!({"mfa_token": "nope", "code": "123456"})).await;
    assert_problem(response, 401, "invalid-token").await;
    let unknown = "A".repeat(43);
    let response = app.auth_mfa(&json!({"mfa_token": unknown, "code": "123456"})).await;
    assert_problem(response, 401, "invalid-token").await;
    let response = app.auth_mfa(&json!({"mfa_token": unknown, "code": "123456", "backup_code": "abcde-fghjk"})).await;
    assert_problem(response, 400, "invalid-request").await;
    let response = app.auth_mfa(&json!({"mfa_token": unknown})).await;
    assert_problem(response, 400, "invalid-request").await;
    let response = app.auth_mfa(&json!({"mfa_token": unknown, "backup_code": "short"})).await;
    let body = assert_problem(response, 400, "invalid-request").await;
    assert!(body["errors"]["backup_code"].is_array());
    let response = app.auth_mfa(&json!({"mfa_token": unknown, "code": "123456", "extra": 1})).await;
    assert_problem(response, 400, "invalid-request").await;
    let response = app.post_json("/v1/mfa/totp/setup", &json!({})).await;
    assert_problem(response, 401, "unauthenticated").await;
}
