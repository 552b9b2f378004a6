//! KYC state through its functions: submit needs a clean identity document, staff decide once,
//! a rejected user may resubmit.

use tresor::audit::Actor;
use tresor::documents::DocumentType;
use tresor::kyc::{self, Decision, KycStatus};
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::documents::{self, app, document_image, scan, slug, uploaded};

async fn submit(app: &TestApp, user: Uuid) -> Result<kyc::KycState, tresor::error::Error> {
    Ok(app.state.kyc.submit(&Actor::system(), user).await?)
}

async fn review(
    app: &TestApp,
    user: Uuid,
    decision: Decision,
    reason: Option<&str>,
) -> Result<kyc::KycState, tresor::error::Error> {
    let reviewer = Uuid::now_v7();
    Ok(app.state.kyc.review(&Actor::system(), reviewer, user, decision, reason).await?)
}

/// A registered, verified user (KYC state is mirrored into their `users` row).
async fn user(app: &TestApp) -> Uuid {
    app.verified_user().await.id.parse().unwrap()
}

async fn users_kyc_status(app: &TestApp, user: Uuid) -> String {
    sqlx::query_scalar("SELECT kyc_status FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

#[actix_web::test]
async fn submit_needs_a_clean_identity_document_and_names_what_is_missing() {
    let app = app().await;
    let user = user(&app).await;
    assert_eq!(app.state.kyc.state(user).await.unwrap().status, KycStatus::NotStarted);
    let (status, problem) = slug(submit(&app, user).await.unwrap_err());
    assert_eq!((status, problem.as_str()), (422, "kyc-documents-missing"));

    uploaded(&app, user, DocumentType::ProofOfAddress, &documents::plain_pdf("bill")).await;
    let passport = uploaded(&app, user, DocumentType::Passport, &documents::jpeg(&document_image(1000, 700))).await;
    let error = submit(&app, user).await.unwrap_err();
    let tresor::error::Error::Rejected(problem) = error else { panic!("expected a problem") };
    assert!(problem.detail.contains("passport \"passport\" is still being scanned"), "{}", problem.detail);
    assert_eq!(problem.errors["documents"].len(), 1, "proof of address is not an identity document");

    let blurry =
        uploaded(&app, user, DocumentType::DriversLicense, &documents::jpeg(&documents::blurry_image(1000, 700))).await;
    scan(&app, &blurry).await;
    let (_, problem) = slug(submit(&app, user).await.unwrap_err());
    assert_eq!(problem, "kyc-documents-missing");

    scan(&app, &passport).await;
    let state = submit(&app, user).await.unwrap();
    assert_eq!(state.status, KycStatus::Submitted);
    assert!(state.submitted_at.is_some() && state.reviewed_at.is_none());
    assert_eq!(slug(submit(&app, user).await.unwrap_err()), (409, "kyc-already-submitted".to_owned()));
}

#[actix_web::test]
async fn staff_approve_or_reject_once_and_a_rejected_user_may_resubmit() {
    let app = app().await;
    let user = user(&app).await;
    let passport = uploaded(&app, user, DocumentType::Passport, &documents::jpeg(&document_image(1000, 700))).await;
    scan(&app, &passport).await;
    assert_eq!(slug(review(&app, user, Decision::Approve, None).await.unwrap_err()).1, "kyc-not-submitted");
    submit(&app, user).await.unwrap();

    let queue = app.state.kyc.queue(50).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!((queue[0].user_id, queue[0].documents.len()), (user, 1));

    assert_eq!(slug(review(&app, user, Decision::Reject, Some("  ")).await.unwrap_err()).0, 400, "reason required");
    assert_eq!(users_kyc_status(&app, user).await, "submitted");
    let rejected = review(&app, user, Decision::Reject, Some("the photo is cut off")).await.unwrap();
    assert_eq!(users_kyc_status(&app, user).await, "rejected");
    assert_eq!(
        (rejected.status, rejected.rejection_reason.as_deref()),
        (KycStatus::Rejected, Some("the photo is cut off"))
    );
    assert!(app.state.kyc.queue(50).await.unwrap().is_empty());
    assert_eq!(slug(review(&app, user, Decision::Approve, None).await.unwrap_err()).1, "kyc-not-submitted");

    assert_eq!(submit(&app, user).await.unwrap().status, KycStatus::Submitted, "resubmission");
    let approved = review(&app, user, Decision::Approve, None).await.unwrap();
    assert_eq!((approved.status, approved.rejection_reason.as_deref()), (KycStatus::Approved, None));
    assert_eq!(app.state.kyc.state(user).await.unwrap(), approved);
    assert_eq!(slug(submit(&app, user).await.unwrap_err()).1, "kyc-already-approved");

    let audits: Vec<String> =
        sqlx::query_scalar("SELECT new_value FROM audit_log WHERE action IN ('kyc.submit', 'kyc.review') ORDER BY seq")
            .fetch_all(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(audits.len(), 4);
    assert!(audits[1].contains("the photo is cut off"));
    for sql in ["UPDATE kyc_submissions SET seq = 9", "DELETE FROM kyc_reviews"] {
        let error = sqlx::query(sql).execute(app.state.db.writer()).await.expect_err(sql).to_string();
        assert!(error.contains("insert-only"), "{error}");
    }
}

#[actix_web::test]
async fn upload_scan_submit_and_approval_open_the_way_to_an_account() {
    let app = app().await;
    let user = user(&app).await;
    let caller =
        tresor::ledger::service::Caller { user_id: user, session_id: uuid::Uuid::now_v7(), actor: Actor::system() };
    let usd = || "USD".parse().unwrap();
    let kind = tresor::ledger::account::AccountKind::Checking;
    assert!(!tresor::ledger::store::accounts::kyc_approved(app.state.db.reader(), user).await.unwrap());

    let passport = uploaded(&app, user, DocumentType::Passport, &documents::jpeg(&document_image(1000, 700))).await;
    scan(&app, &passport).await;
    submit(&app, user).await.unwrap();
    review(&app, user, Decision::Approve, None).await.unwrap();

    assert_eq!(users_kyc_status(&app, user).await, "approved");
    assert!(tresor::ledger::store::accounts::kyc_approved(app.state.db.reader(), user).await.unwrap());
    let account = app.state.ledger.open(&caller, kind, usd()).await.unwrap();
    assert_eq!(account.currency.code(), "USD");
}

#[actix_web::test]
async fn kyc_for_a_user_who_does_not_exist_is_404() {
    let app = app().await;
    let ghost = Uuid::now_v7();
    let passport = uploaded(&app, ghost, DocumentType::Passport, &documents::jpeg(&document_image(1000, 700))).await;
    scan(&app, &passport).await;
    assert_eq!(slug(submit(&app, ghost).await.unwrap_err()), (404, "not-found".to_owned()));
    assert_eq!(app.state.kyc.state(ghost).await.unwrap().status, KycStatus::NotStarted, "rolled back");
}
