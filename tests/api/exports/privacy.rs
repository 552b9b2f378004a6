//! What a user's data export may hold (the SSN's last four digits only; documents' metadata and
//! the KYC history) and how long its link lives: until it expires, the account is deleted, or
//! every session ends after the request. The request is a POST; the old GET is a deprecated
//! alias.

use chrono::{DateTime, Utc};
use figment::providers::Serialized;
use serde_json::{Value, json};
use tresor::documents::DocumentType;
use uuid::Uuid;

use super::basics::{mailed_link, request_export};
use crate::support::documents::{self, document_image};
use crate::support::identity::{PASSWORD, SignedIn, TestUser, unique_email};
use crate::support::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// Asks for an export over HTTP, builds it, and returns its mailed link (which must open).
async fn built_link(app: &TestApp, signed: &SignedIn) -> String {
    let id = request_export(app, signed).await;
    app.state.exports.build(id).await.unwrap();
    let link = mailed_link(app, &signed.user.email).await;
    assert_eq!(app.get(&link).await.status(), 200, "the fresh link opens");
    link
}

#[actix_web::test]
async fn a_user_export_masks_the_ssn_and_holds_documents_and_the_kyc_history() {
    let app = spawn_app().await;
    let email = unique_email("ssn");
    let body = json!({"email": email, "password": PASSWORD, "full_name": "Ada Lovelace", "ssn": "219-09-9999"});
    let registered = app.register(&body).await;
    assert_eq!(registered.status(), 201);
    let user_id = registered.json::<Value>().await.unwrap()["user_id"].as_str().unwrap().to_owned();
    let token = app.link_token(&email, "verify_email").await;
    assert_eq!(app.verify_email(&token).await.status(), 204);
    let owner: Uuid = user_id.parse().unwrap();
    let signed = app.sign_in(TestUser { id: user_id, email: email.clone(), password: PASSWORD.into() }).await;
    let passport =
        documents::uploaded(&app, owner, DocumentType::Passport, &documents::jpeg(&document_image(1000, 700))).await;
    documents::scan(&app, &passport).await;
    assert_eq!(app.post_authed("/v1/kyc/submit", &signed.access, &json!({})).await.status(), 202);

    let id = request_export(&app, &signed).await;
    app.state.exports.build(id).await.unwrap();
    let response = app.get(&mailed_link(&app, &email).await).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("219-09") && !text.contains("21909"), "the full SSN never leaves the server");
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["profile"]["ssn_last4"], "9999");
    assert!(export["profile"].get("ssn").is_none());
    let documents = export["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "{export}");
    assert_eq!(documents[0]["version_id"], passport.version_id.to_string());
    assert_eq!(documents[0]["document_type"], "passport");
    assert_eq!(documents[0]["status"], "clean");
    assert_eq!(documents[0]["sha256"], passport.sha256.as_str());
    let history = export["kyc_history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{export}");
    assert_eq!(history[0]["seq"], 1);
    assert_eq!(history[0]["document_version_ids"], json!([passport.version_id.to_string()]));
    assert!(history[0]["decision"].is_null());
}

#[actix_web::test]
async fn the_get_alias_still_asks_for_an_export_and_is_marked_deprecated() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let response = app.get_authed("/v1/users/me/export", &signed.access).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["deprecation"], "true");
    let id: Uuid = response.json::<Value>().await.unwrap()["export_id"].as_str().unwrap().parse().unwrap();
    app.state.exports.build(id).await.unwrap();
    assert_eq!(app.get(&mailed_link(&app, &signed.user.email).await).await.status(), 200);
    let openapi: Value = app.get("/openapi.json").await.json().await.unwrap();
    let path = &openapi["paths"]["/v1/users/me/export"];
    assert_eq!(path["get"]["deprecated"], true, "{path}");
    assert!(path["post"].is_object() && path["post"]["deprecated"] != true, "{path}");
    assert!(path["post"]["responses"]["202"].is_object());
    assert_problem(app.post_json("/v1/users/me/export", &json!({})).await, 401, "unauthenticated").await;
}

#[actix_web::test]
async fn an_export_link_dies_when_every_session_ends_after_the_request() {
    let app = spawn_app().await;
    // Sign-out everywhere.
    let signed = app.signed_in().await;
    let link = built_link(&app, &signed).await;
    assert_eq!(app.logout(&signed.access, &json!({"all_sessions": true})).await.status(), 204);
    assert_problem(app.get(&link).await, 404, "not-found").await;
    // An export asked for afterwards, from a new session, works again.
    let again = app.sign_in(signed.user_clone()).await;
    let id = request_export(&app, &again).await;
    app.state.exports.build(id).await.unwrap();
    let newest = app.mail_to(&again.user.email, "export_ready").await;
    let url = newest.last().unwrap().data["link"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&url[url.find("/v1/exports/").unwrap()..]).await.status(), 200);

    // A password reset.
    let signed = app.signed_in().await;
    let link = built_link(&app, &signed).await;
    assert_eq!(app.forgot(&signed.user.email).await.status(), 202);
    let token = app.reset_token(&signed.user.email).await;
    assert_eq!(app.reset(&token, "a brand new passphrase 2026").await.status(), 204);
    assert_problem(app.get(&link).await, 404, "not-found").await;
}

#[actix_web::test]
async fn an_export_link_dies_when_the_account_is_deleted() {
    let app = spawn_app().await;
    let signed = app.signed_in().await;
    let link = built_link(&app, &signed).await;
    let response = app
        .client
        .delete(app.url("/v1/users/me"))
        .bearer_auth(&signed.access)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_problem(app.get(&link).await, 404, "not-found").await;
}

#[actix_web::test]
async fn an_export_link_expires_as_configured() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("exports.ttl_hours", 2))).await;
    let signed = app.signed_in().await;
    let id = request_export(&app, &signed).await;
    app.state.exports.build(id).await.unwrap();
    let link = mailed_link(&app, &signed.user.email).await;
    let expires_at: String = sqlx::query_scalar("SELECT expires_at FROM exports WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    let expires_at: DateTime<Utc> = expires_at.parse().unwrap();
    let hours = (expires_at - Utc::now()).num_minutes() as f64 / 60.0;
    assert!((1.9..=2.0).contains(&hours), "expires in {hours} h");
    assert_eq!(app.get(&link).await.status(), 200);
    sqlx::query("UPDATE exports SET expires_at = $1 WHERE id = $2")
        .bind(tresor::db::time::to_db(Utc::now() - chrono::Duration::seconds(1)))
        .bind(id.to_string())
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_problem(app.get(&link).await, 404, "not-found").await;
}
