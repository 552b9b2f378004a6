//! `/v1/users/me`: read, update, delete, export; the purge after the retention period.

use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{TestApp, assert_problem, spawn_app};

fn full_registration(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "full_name": "Ada Lovelace", "phone": "+14155550123",
           "date_of_birth": "1990-05-17", "ssn": "123-45-6789",
           "address": {"line1": "742 Evergreen Terrace", "city": "Springfield", "postal_code": "49007", "country": "US"}})
}

impl TestApp {
    async fn full_user(&self) -> crate::support::identity::SignedIn {
        let email = unique_email("full");
        assert_eq!(self.register(&full_registration(&email)).await.status(), 201);
        let token = self.link_token(&email, "verify_email").await;
        assert_eq!(self.verify_email(&token).await.status(), 204);
        let user = crate::support::identity::TestUser { id: String::new(), email, password: PASSWORD.to_owned() };
        self.sign_in(user).await
    }

    async fn patch_me(&self, access: &str, body: &Value) -> reqwest::Response {
        self.client.patch(self.url("/v1/users/me")).bearer_auth(access).json(body).send().await.unwrap()
    }

    async fn delete_me(&self, access: &str, password: &str) -> reqwest::Response {
        let body = json!({ "password": password });
        self.client.delete(self.url("/v1/users/me")).bearer_auth(access).json(&body).send().await.unwrap()
    }
}

#[actix_web::test]
async fn the_profile_opens_personal_data_and_never_returns_the_full_ssn() {
    let app = spawn_app().await;
    let signed = app.full_user().await;
    let response = app.get_authed("/v1/users/me", &signed.access).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert!(!text.contains("6789") || text.contains("\"ssn_last4\":\"6789\""));
    assert!(!text.contains("123-45") && !text.contains("12345"), "{text}");
    let me: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(me["email"], signed.user.email);
    assert_eq!(me["phone"], "+14155550123");
    assert_eq!(me["date_of_birth"], "1990-05-17");
    assert_eq!(me["address"]["line1"], "742 Evergreen Terrace");
    assert_eq!(me["ssn_last4"], "6789");
    assert_eq!(me["roles"], json!(["customer"]));
    assert_eq!(me["kyc_status"], "not_started");
    assert_eq!(me["mfa_enabled"], false);
    assert!(me["created_at"].is_string());
    assert_problem(app.get("/v1/users/me").await, 401, "unauthenticated").await;
}

#[actix_web::test]
async fn a_profile_update_changes_seals_and_audits_field_names_only() {
    let app = spawn_app().await;
    let signed = app.full_user().await;
    let update = json!({"full_name": "Augusta Ada King", "phone": "+442071234567", "address": "10 Downing St, London"});
    let response = app.patch_me(&signed.access, &update).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["full_name"], "Augusta Ada King");
    assert_eq!(me["phone"], "+442071234567");
    assert_eq!(me["address"], "10 Downing St, London");
    let cleared: Value = app.patch_me(&signed.access, &json!({"phone": null})).await.json().await.unwrap();
    assert!(cleared["phone"].is_null());
    assert_eq!(cleared["address"], "10 Downing St, London", "absent fields stay");

    let bad = assert_problem(
        app.patch_me(&signed.access, &json!({"phone": "12", "full_name": ""})).await,
        400,
        "invalid-request",
    )
    .await;
    assert!(bad["errors"]["phone"].is_array() && bad["errors"]["full_name"].is_array());
    assert_problem(app.patch_me(&signed.access, &json!({"ssn": "123-45-6789"})).await, 400, "invalid-request").await;
    let stored: String =
        sqlx::query_scalar("SELECT address FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("Downing"));
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT new_value FROM audit_log WHERE action = 'user.profile_updated'")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(!audit[0].contains("Downing") && audit[0].contains("address"), "{}", audit[0]);
}

#[actix_web::test]
async fn deletion_needs_the_password_ends_sessions_and_the_purge_keeps_the_audit_chain() {
    let app = spawn_app().await;
    let signed = app.full_user().await;
    let other = app.sign_in(signed.user_clone()).await;
    assert_problem(app.delete_me(&signed.access, "not my password").await, 403, "invalid-credentials").await;
    assert_eq!(app.delete_me(&signed.access, PASSWORD).await.status(), 204);
    assert_eq!(app.sessions(&signed.access).await.status(), 401);
    assert_eq!(app.sessions(&other.access).await.status(), 401);
    assert_problem(app.login(&signed.user.email, PASSWORD).await, 401, "invalid-credentials").await;

    let db = &app.state.db;
    let soon = chrono::Utc::now() + chrono::Duration::days(29);
    let report = tresor::identity::maintenance::cleanup(db, soon, chrono::Duration::days(30)).await.unwrap();
    assert_eq!(report.users_purged, 0, "kept for the retention period");
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report = tresor::identity::maintenance::cleanup(db, later, chrono::Duration::days(30)).await.unwrap();
    assert_eq!(report.users_purged, 1);
    let row: (Option<String>, Option<String>, Option<String>, String) =
        sqlx::query_as("SELECT email, ssn, address, full_name FROM users").fetch_one(db.reader()).await.unwrap();
    assert_eq!(row, (None, None, None, String::new()));
    let chain = tresor::audit::Audit::new(db.clone()).verify().await.unwrap();
    assert!(chain.ok, "{chain:?}");
    let purged = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.purged'").await;
    assert_eq!(purged, 1);
    assert_eq!(app.register_user(&signed.user.email).await.len(), 36, "the address is free again");
}

#[actix_web::test]
async fn an_export_request_is_accepted_for_the_background_job() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let response = app.get_authed("/v1/users/me/export", &signed.access).await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let id = body["export_id"].as_str().unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(status, "pending");
}

#[actix_web::test]
async fn cleanup_removes_expired_tokens_and_long_ended_sessions() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    assert_eq!(app.logout(&signed.access, &json!({})).await.status(), 204);
    let in_40_days = chrono::Utc::now() + chrono::Duration::days(40);
    let report =
        tresor::identity::maintenance::cleanup(&app.state.db, in_40_days, chrono::Duration::days(30)).await.unwrap();
    assert_eq!(report.sessions, 1);
    assert_eq!(report.one_time_tokens, 1, "the used verification token");
    assert_eq!(app.count("SELECT COUNT(*) FROM refresh_tokens").await, 0);
}

#[actix_web::test]
async fn the_export_holds_the_profile_with_masked_ssn_personal_data_sessions_and_audit() {
    let app = spawn_app().await;
    let signed = app.full_user().await;
    let me: Value = app.get_authed("/v1/users/me", &signed.access).await.json().await.unwrap();
    let id = uuid::Uuid::parse_str(me["id"].as_str().unwrap()).unwrap();
    let export =
        tresor::identity::export::collect(&app.state.db, &app.state.audit, &app.state.keys, id).await.unwrap().unwrap();
    assert_eq!(export["profile"]["ssn_last4"], "6789", "like the profile, the export masks the SSN");
    assert!(export["profile"].get("ssn").is_none() && !export.to_string().contains("123-45"), "{export}");
    assert_eq!(export["profile"]["address"]["line1"], "742 Evergreen Terrace");
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    let actions: Vec<&str> =
        export["audit"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.registered") && actions.contains(&"user.email_verified"), "{actions:?}");
    assert!(
        tresor::identity::export::collect(&app.state.db, &app.state.audit, &app.state.keys, uuid::Uuid::now_v7())
            .await
            .unwrap()
            .is_none()
    );
}
