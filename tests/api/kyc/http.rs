//! `/v1/kyc` end to end: submit needs a clean identity document (422 naming what is missing),
//! staff are notified, the next access token carries the new status.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::assert_problem;
use crate::support::documents::{self, app_with_worker, document_image};
use crate::support::identity::SignedIn;

pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The `kyc_status` of a freshly refreshed access token.
pub async fn refreshed_kyc_status(app: &crate::support::TestApp, user: &mut SignedIn) -> String {
    let response = app.refresh(&user.refresh).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    user.access = pair["access_token"].as_str().unwrap().to_owned();
    user.refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    claims_of(&user.access)["kyc_status"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn submit_names_what_is_missing_then_succeeds_notifies_staff_and_reaches_the_token() {
    let (app, workers) = app_with_worker().await;
    let mut user = app.signed_in().await;
    assert_eq!(claims_of(&user.access)["kyc_status"], "not_started");
    let state: Value = app.get_authed("/v1/kyc", &user.access).await.json().await.unwrap();
    assert_eq!(
        state,
        json!({"status": "not_started", "submitted_at": null, "reviewed_at": null, "rejection_reason": null})
    );

    let response = app.post_authed("/v1/kyc/submit", &user.access, &json!({})).await;
    let body = assert_problem(response, 422, "kyc-documents-missing").await;
    assert!(body["detail"].as_str().unwrap().contains("no identity document has been uploaded"), "{body}");

    app.upload_document(&user, "proof_of_address", None, &documents::plain_pdf("bill")).await;
    let blurry = documents::jpeg(&documents::blurry_image(1200, 800));
    let license = app.upload_document(&user, "drivers_license", None, &blurry).await;
    app.scanned(&user.access, license["id"].as_str().unwrap()).await;
    let response = app.post_authed("/v1/kyc/submit", &user.access, &json!({})).await;
    let body = assert_problem(response, 422, "kyc-documents-missing").await;
    let missing = body["errors"]["documents"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{body}");
    assert!(
        missing[0].as_str().unwrap().contains("drivers_license \"drivers_license\" was rejected: image is too blurry")
    );

    let passport = app.upload_document(&user, "passport", None, &documents::jpeg(&document_image(1000, 700))).await;
    app.scanned(&user.access, passport["id"].as_str().unwrap()).await;
    let response = app.post_authed("/v1/kyc/submit", &user.access, &json!({})).await;
    assert_eq!(response.status(), 202);
    let submitted: Value = response.json().await.unwrap();
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["submitted_at"].as_str().is_some());
    let again = app.post_authed("/v1/kyc/submit", &user.access, &json!({})).await;
    assert_problem(again, 409, "kyc-already-submitted").await;

    let notes: Vec<(String, String)> = sqlx::query_as("SELECT kind, subject_id FROM staff_notifications")
        .fetch_all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(notes, [("kyc_submitted".to_owned(), user.user.id.clone())]);
    let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'kyc.submit'")
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(audits, 1);
    assert_eq!(refreshed_kyc_status(&app, &mut user).await, "submitted");
    let me: Value = app.get_authed("/v1/users/me", &user.access).await.json().await.unwrap();
    assert_eq!(me["kyc_status"], "submitted");
    assert_problem(app.post_json("/v1/kyc/submit", &json!({})).await, 401, "unauthenticated").await;
    workers.stop().await;
}
