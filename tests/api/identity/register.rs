//! `POST /v1/auth/register` and `POST /v1/auth/verify-email`.

use figment::providers::Serialized;
use serde_json::{Value, json};

use crate::support::identity::{PASSWORD, unique_email};
use crate::support::{assert_problem, spawn_app, spawn_app_with};

#[actix_web::test]
async fn registration_answers_201_pending_and_queues_a_verification_email() {
    let app = spawn_app().await;
    let email = unique_email("new");
    let response =
        app.register(&json!({"email": email.to_uppercase(), "password": PASSWORD, "full_name": "Ada"})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/v1/users/me");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending_verification");
    assert!(uuid::Uuid::parse_str(body["user_id"].as_str().unwrap()).is_ok());
    let mail = app.mail_to(&email, "verify_email").await;
    assert_eq!(mail.len(), 1, "the email is stored lower-cased and mailed once");
    assert!(mail[0].data["link"].as_str().unwrap().contains("/verify-email?token="));
}

#[actix_web::test]
async fn a_taken_email_gets_the_same_answer_and_its_owner_is_told_instead() {
    let app = spawn_app().await;
    let email = unique_email("taken");
    app.register_user(&email).await;
    let again =
        app.register(&json!({"email": email, "password": "another fine passphrase 7", "full_name": "Eve"})).await;
    assert_eq!(again.status(), 201);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["status"], "pending_verification");
    assert_eq!(body.as_object().unwrap().len(), 2, "same shape as a new registration");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "no second account");
    assert_eq!(app.mail_to(&email, "registration_attempt").await.len(), 1);
    assert_eq!(app.mail_to(&email, "verify_email").await.len(), 1, "no second verification email");
}

#[actix_web::test]
async fn look_alike_spellings_of_a_taken_email_are_the_same_account_or_refused() {
    let app = spawn_app().await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("ada{tag}@example.com");
    app.register_user(&email).await;
    // Full width and upper case are the same mailbox after NFKC: the owner is told, no new account.
    let wide: String = format!("ADA{tag}").chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    let body = json!({"email": format!("{wide}@ｅｘａｍｐｌｅ.ｃｏｍ"), "password": PASSWORD, "full_name": "Eve"});
    assert_eq!(app.register(&body).await.status(), 201);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "no second account");
    assert_eq!(app.mail_to(&email, "registration_attempt").await.len(), 1);
    // A Cyrillic look-alike, a look-alike domain and an address the mailer cannot reach are 400s.
    for bad in [
        format!("\u{430}da{tag}@example.com"),
        format!("ada{tag}@\u{435}xample.com"),
        format!("\"ada {tag}\"@example.com"),
    ] {
        let body = json!({"email": bad, "password": PASSWORD, "full_name": "Eve"});
        let problem = assert_problem(app.register(&body).await, 400, "invalid-request").await;
        assert!(problem["errors"]["email"].is_array(), "{bad}: {problem}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "nothing written");
    // Signing in with the full-width spelling finds the one account.
    let verify = app.link_token(&email, "verify_email").await;
    assert_eq!(app.verify_email(&verify).await.status(), 204);
    assert_eq!(app.login(&format!("{wide}@example.com"), PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn every_invalid_field_is_named_in_one_400() {
    let app = spawn_app().await;
    let body = json!({
        "email": "not-an-email", "password": "short", "full_name": " ", "phone": "555-1234",
        "date_of_birth": "2020-01-01", "ssn": "000-12-3456", "address": 42,
    });
    let problem = assert_problem(app.register(&body).await, 400, "invalid-request").await;
    for field in ["email", "password", "full_name", "phone", "date_of_birth", "ssn", "address"] {
        assert!(problem["errors"][field].is_array(), "{field} is named: {problem}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0, "nothing written");
}

#[actix_web::test]
async fn common_personal_and_guessable_passwords_are_refused_with_reasons() {
    let app = spawn_app().await;
    let cases = [
        ("q1w2e3r4t5y6", "commonly used"),
        ("lovelace rules the world", "email address or name"),
        ("aaaaaaaaaaaaaaaa", "guess"),
        (&"x".repeat(129) as &str, "at most 128"),
    ];
    for (password, reason) in cases {
        let body = json!({"email": unique_email("pw"), "password": password, "full_name": "Ada Lovelace"});
        let problem = assert_problem(app.register(&body).await, 400, "invalid-request").await;
        let text = problem["errors"]["password"].to_string();
        assert!(text.contains(reason), "{password}: {text}");
        assert!(!problem.to_string().contains(password), "the password is never echoed");
    }
}

#[actix_web::test]
async fn unknown_fields_and_malformed_json_are_400s() {
    let app = spawn_app().await;
    let body = json!({"email": unique_email("x"), "password": PASSWORD, "full_name": "A", "admin": true});
    assert_problem(app.register(&body).await, 400, "invalid-request").await;
    let raw = app.client.post(app.url("/v1/auth/register")).header("content-type", "application/json").body("{");
    assert_problem(raw.send().await.unwrap(), 400, "invalid-request").await;
}

#[actix_web::test]
async fn a_second_account_with_the_same_ssn_is_not_opened_and_the_owner_is_told() {
    let app = spawn_app().await;
    let owner = unique_email("owner");
    let full = |email: &str, ssn: &str| {
        json!({"email": email, "password": PASSWORD, "full_name": "Ada", "ssn": ssn, "phone": "+14155550123",
               "date_of_birth": "1990-05-17", "address": {"line1": "1 Main St", "city": "Springfield",
               "postal_code": "12345", "country": "US"}})
    };
    assert_eq!(app.register(&full(&owner, "123-45-6789")).await.status(), 201);
    let copycat = unique_email("copy");
    assert_eq!(app.register(&full(&copycat, "123456789")).await.status(), 201, "same answer");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(app.mail_to(&owner, "registration_attempt").await.len(), 1);
    assert!(app.mail_to(&copycat, "verify_email").await.is_empty());
    assert_eq!(app.security_events("duplicate_ssn").await.len(), 1);
    let row: (String, String) =
        sqlx::query_as("SELECT ssn, ssn_index FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    assert!(row.0.starts_with("v1:") && !row.0.contains("6789") && !row.1.contains("6789"), "sealed and blind");
}

#[actix_web::test]
async fn invite_mode_closes_registration() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("identity.registration", "invite"))).await;
    let body = json!({"email": unique_email("x"), "password": PASSWORD, "full_name": "Ada"});
    assert_problem(app.register(&body).await, 403, "registration-closed").await;
}

#[actix_web::test]
async fn the_verification_token_is_single_use_and_activates_the_account() {
    let app = spawn_app().await;
    let email = unique_email("v");
    app.register_user(&email).await;
    let token = app.link_token(&email, "verify_email").await;
    assert_eq!(app.verify_email(&token).await.status(), 204);
    let status: String = sqlx::query_scalar("SELECT status FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    assert_eq!(status, "active");
    assert_problem(app.verify_email(&token).await, 400, "invalid-token").await;
    assert_problem(app.verify_email("garbage").await, 400, "invalid-token").await;
    let stored: String =
        sqlx::query_scalar("SELECT token_hash FROM one_time_tokens").fetch_one(app.state.db.reader()).await.unwrap();
    assert_ne!(stored, token, "only the hash is stored");
}

#[actix_web::test]
async fn an_expired_verification_token_is_refused() {
    let app = spawn_app().await;
    let email = unique_email("late");
    app.register_user(&email).await;
    let token = app.link_token(&email, "verify_email").await;
    sqlx::query("UPDATE one_time_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_problem(app.verify_email(&token).await, 400, "invalid-token").await;
}

#[actix_web::test]
async fn openapi_documents_every_identity_endpoint() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let expected = [
        ("/v1/auth/register", "post"),
        ("/v1/auth/verify-email", "post"),
        ("/v1/auth/login", "post"),
        ("/v1/auth/refresh", "post"),
        ("/v1/auth/logout", "post"),
        ("/v1/auth/sessions", "get"),
        ("/v1/auth/sessions/{id}", "delete"),
        ("/v1/auth/invite/accept", "post"),
        ("/v1/auth/password/forgot", "post"),
        ("/v1/auth/password/reset", "post"),
        ("/.well-known/jwks.json", "get"),
        ("/v1/users/me", "get"),
        ("/v1/users/me", "patch"),
        ("/v1/users/me", "delete"),
        ("/v1/users/me/password", "post"),
        ("/v1/users/me/export", "get"),
    ];
    for (path, method) in expected {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is documented");
    }
}
