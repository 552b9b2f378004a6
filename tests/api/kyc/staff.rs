//! The whole path, on the running server: upload → scan by the worker → clean → submit → a
//! staff member with MFA approves → the customer may open an account → downloads through signed
//! links. And the guard: without `kyc:review`, or without MFA, staff endpoints answer 403.

use serde_json::{Value, json};
use tresor::identity::Role;

use super::http::refreshed_kyc_status;
use crate::support::documents::{self, app_with_worker, document_image, path_of};
use crate::support::identity::SignedIn;
use crate::support::{TestApp, assert_problem};

/// A customer with a clean passport, submitted for review; returns the passport's id.
async fn submitted_customer(app: &TestApp) -> (SignedIn, String) {
    let customer = app.signed_in().await;
    let passport = app.upload_document(&customer, "passport", None, &documents::jpeg(&document_image(1000, 700))).await;
    let id = passport["id"].as_str().unwrap().to_owned();
    assert_eq!(app.scanned(&customer.access, &id).await["status"], "clean");
    assert_eq!(app.post_authed("/v1/kyc/submit", &customer.access, &json!({})).await.status(), 202);
    (customer, id)
}

async fn review(app: &TestApp, token: &str, user_id: &str, body: &Value) -> reqwest::Response {
    app.post_authed(&format!("/v1/admin/kyc/{user_id}/review"), token, body).await
}

#[actix_web::test]
async fn upload_scan_submit_approve_open_an_account_and_download_through_signed_links() {
    let (app, workers) = app_with_worker().await;
    let (mut customer, document) = submitted_customer(&app).await;
    let checking = json!({"kind": "checking", "currency": "USD"});
    assert_problem(app.post_authed("/v1/accounts", &customer.access, &checking).await, 403, "kyc-required").await;

    let officer = app.staff_with_mfa(&[Role::KycOfficer]).await;
    let queue: Value = app.get_authed("/v1/admin/kyc", &officer.token).await.json().await.unwrap();
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    assert_eq!(items[0]["user_id"], customer.user.id);
    assert_eq!(items[0]["documents"][0]["id"], document);
    assert_eq!(items[0]["documents"][0]["status"], "clean");

    // The reviewer reads the document through a link of their own.
    let response = app.get_authed(&format!("/v1/admin/documents/{document}/download"), &officer.token).await;
    assert_eq!(response.status(), 200);
    let link: Value = response.json().await.unwrap();
    let staff_path = path_of(link["url"].as_str().unwrap());
    let bytes = app.client.get(app.url(&staff_path)).bearer_auth(&officer.token).send().await.unwrap();
    assert_eq!(bytes.headers()["content-type"], "image/jpeg");
    assert!(image::load_from_memory(&bytes.bytes().await.unwrap()).is_ok());
    let borrowed = app.client.get(app.url(&staff_path)).bearer_auth(&customer.access).send().await.unwrap();
    assert_problem(borrowed, 404, "not-found").await;

    let unreasoned = review(&app, &officer.token, &customer.user.id, &json!({"decision": "reject"})).await;
    let body = assert_problem(unreasoned, 400, "invalid-request").await;
    assert_eq!(body["errors"]["reason"][0], "a reason is required to reject");
    let bad = review(&app, &officer.token, &customer.user.id, &json!({"decision": "maybe"})).await;
    assert_problem(bad, 400, "invalid-request").await;
    let response = review(&app, &officer.token, &customer.user.id, &json!({"decision": "approve"})).await;
    assert_eq!(response.status(), 200);
    let decided: Value = response.json().await.unwrap();
    assert_eq!(
        (decided["user_id"].as_str(), decided["status"].as_str()),
        (Some(customer.user.id.as_str()), Some("approved"))
    );
    assert!(decided["reviewed_at"].as_str().is_some());
    let again = review(&app, &officer.token, &customer.user.id, &json!({"decision": "approve"})).await;
    assert_problem(again, 409, "kyc-not-submitted").await;
    let queue: Value = app.get_authed("/v1/admin/kyc", &officer.token).await.json().await.unwrap();
    assert_eq!(queue["items"], json!([]));

    assert_eq!(app.mail_to(&customer.user.email, "kyc_approved").await.len(), 1, "the customer is emailed");
    let kyc: Value = app.get_authed("/v1/kyc", &customer.access).await.json().await.unwrap();
    assert_eq!(kyc["status"], "approved");
    assert_eq!(refreshed_kyc_status(&app, &mut customer).await, "approved", "the next access token carries it");
    let account = app.post_authed("/v1/accounts", &customer.access, &checking).await;
    assert_eq!(account.status(), 201, "account opening is allowed");

    let url = app.download_link(&customer.access, &document, &json!({})).await;
    let own = app.get(&path_of(&url)).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.headers()["content-disposition"], "attachment; filename=\"passport-v1.jpg\"");

    let audit: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_id FROM audit_log WHERE action LIKE 'kyc.%' OR action = 'document.download' ORDER BY seq",
    )
    .fetch_all(app.state.db.reader())
    .await
    .unwrap();
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["kyc.submit", "document.download", "kyc.review", "document.download"]);
    assert_eq!(audit[2].1.as_deref(), Some(officer.id.as_str()), "the review names its reviewer");
    workers.stop().await;
}

#[actix_web::test]
async fn a_rejected_customer_is_told_why_and_may_submit_again() {
    let (app, workers) = app_with_worker().await;
    let (customer, _) = submitted_customer(&app).await;
    let officer = app.staff_with_mfa(&[Role::KycOfficer]).await;
    let reason = "the photo is cut off at the edge";
    let response =
        review(&app, &officer.token, &customer.user.id, &json!({"decision": "reject", "reason": reason})).await;
    assert_eq!(response.status(), 200);
    let mail = app.mail_to(&customer.user.email, "kyc_rejected").await;
    assert_eq!((mail.len(), mail[0].data["reason"].as_str()), (1, Some(reason)));
    let kyc: Value = app.get_authed("/v1/kyc", &customer.access).await.json().await.unwrap();
    assert_eq!((kyc["status"].as_str(), kyc["rejection_reason"].as_str()), (Some("rejected"), Some(reason)));
    assert_eq!(app.post_authed("/v1/kyc/submit", &customer.access, &json!({})).await.status(), 202, "resubmitted");
    let notes: i64 = app.count("SELECT COUNT(*) FROM staff_notifications WHERE kind = 'kyc_submitted'").await;
    assert_eq!(notes, 2, "a staff notification on every submission");
    workers.stop().await;
}

#[actix_web::test]
async fn staff_without_mfa_or_without_kyc_review_cannot_reach_the_staff_kyc_endpoints() {
    let (app, workers) = app_with_worker().await;
    let (customer, document) = submitted_customer(&app).await;
    let no_mfa = app.signed_in_with_roles(&[Role::KycOfficer]).await;
    let support = app.staff_with_mfa(&[Role::Support]).await;
    let review_path = format!("/v1/admin/kyc/{}/review", customer.user.id);
    let link_path = format!("/v1/admin/documents/{document}/download");
    for (token, slug) in
        [(&no_mfa.access, "mfa-required"), (&support.token, "forbidden"), (&customer.access, "forbidden")]
    {
        assert_problem(app.get_authed("/v1/admin/kyc", token).await, 403, slug).await;
        assert_problem(app.post_authed(&review_path, token, &json!({"decision": "approve"})).await, 403, slug).await;
        assert_problem(app.get_authed(&link_path, token).await, 403, slug).await;
    }
    assert_problem(app.get("/v1/admin/kyc").await, 401, "unauthenticated").await;
    let kyc: Value = app.get_authed("/v1/kyc", &customer.access).await.json().await.unwrap();
    assert_eq!(kyc["status"], "submitted", "nothing was decided");

    let officer = app.staff_with_mfa(&[Role::KycOfficer]).await;
    let own = review(&app, &officer.token, &officer.id, &json!({"decision": "approve"})).await;
    assert_problem(own, 403, "forbidden").await;
    workers.stop().await;
}
