//! `[mfa] required_for = "all"`: without a second factor only enrolment, the profile and
//! signing out answer; enrolling opens the rest at once.

use figment::providers::Serialized;
use serde_json::json;

use crate::support::mfa::Authenticator;
use crate::support::{assert_problem, assert_setting_refused, spawn_app, spawn_app_with};

#[actix_web::test]
async fn with_mfa_for_all_a_customer_must_enrol_before_anything_else_answers() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("mfa.required_for", "all"))).await;
    let signed = app.signed_in().await;
    let token = signed.access.clone();

    let refused = app.get_authed("/v1/accounts", &token).await;
    let problem = assert_problem(refused, 403, "mfa-enrolment-required").await;
    assert!(problem["detail"].as_str().unwrap().contains("/v1/mfa/totp/setup"), "{problem}");
    let export = app.post_authed("/v1/users/me/export", &token, &json!({})).await;
    assert_problem(export, 403, "mfa-enrolment-required").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0, "refused before any effect");

    // The profile, the session list and enrolment answer.
    assert_eq!(app.get_authed("/v1/users/me", &token).await.status(), 200);
    assert_eq!(app.sessions(&token).await.status(), 200);
    let setup = app.mfa_setup(&token).await;
    let mut authenticator = Authenticator::new(setup["secret"].as_str().unwrap());
    let code = authenticator.code().await;
    let enabled = app.post_authed("/v1/mfa/totp/enable", &token, &json!({"code": code})).await;
    assert_eq!(enabled.status(), 200);

    // Enrolled: the same session may now do the rest.
    assert_eq!(app.get_authed("/v1/accounts", &token).await.status(), 200);
    assert_eq!(app.logout(&token, &json!({})).await.status(), 204);
}

#[actix_web::test]
async fn signing_out_answers_without_a_second_factor_and_the_default_policy_asks_nothing_of_customers() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("mfa.required_for", "all"))).await;
    let signed = app.signed_in().await;
    assert_problem(app.get_authed("/v1/accounts", &signed.access).await, 403, "mfa-enrolment-required").await;
    assert_eq!(app.logout(&signed.access, &json!({})).await.status(), 204);

    let app = spawn_app().await;
    let signed = app.signed_in().await;
    assert_eq!(app.get_authed("/v1/accounts", &signed.access).await.status(), 200);
}

#[test]
fn an_unknown_policy_is_refused_at_startup() {
    assert_setting_refused("TRESOR__MFA__REQUIRED_FOR", "everyone", "required_for");
}
