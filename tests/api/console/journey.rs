//! One day at the back office, in a real browser: a staff member signs in with password and
//! TOTP, approves a KYC submission after viewing its document, freezes an account, asks for a
//! reversal that a second staff member approves, resolves a case, verifies the audit chain and
//! retries a dead job. Every step is checked in the domain, not only on the page.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::Locator;
use figment::providers::Serialized;
use tresor::documents::DocumentType;
use tresor::identity::Role;
use tresor_jobs::JobError;
use tresor_jobs::store::NewJob;
use tresor_jobs::worker::Registry;
use uuid::Uuid;

use crate::support::browser::{Browser, spawn_app_at_public_url};
use crate::support::console::{browser_sign_in, click, fill, open_at, screenshot};
use crate::support::documents::{self, document_image, jpeg};
use crate::support::jobs::{eventually, start_workers};
use crate::support::ledger::{assert_books_balance, balance};

/// A queue the app knows; the test's worker refuses each job's first run for good.
const QUEUE: &str = "cleanup";

fn fails_first_time(runs: Arc<AtomicUsize>) -> Registry {
    Registry::new().with(
        QUEUE,
        Arc::new(move |_payload, _attempt| {
            let runs = runs.clone();
            Box::pin(async move {
                if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(JobError::permanent("the probe refuses its first run"))
                } else {
                    Ok(())
                }
            })
        }),
    )
}

async fn dead_jobs(app: &crate::support::TestApp) -> usize {
    app.state.jobs.overview(50).await.unwrap().dead.len()
}

#[actix_web::test]
async fn staff_work_the_back_office_through_the_console_in_a_real_browser() {
    let Some(browser) = Browser::start().await else { return };
    // Every transfer above 1.00 is flagged: the transfer below opens a case.
    let app = spawn_app_at_public_url(|f| f.merge(Serialized::default("ledger.review_threshold", 100))).await;
    let mut alice = app.console_staff(&[Role::Admin]).await;
    let mut bob = app.console_staff(&[Role::Admin]).await;

    // A customer's passport, scanned clean and submitted.
    let applicant = app.signed_in().await;
    let applicant_id = Uuid::parse_str(&applicant.user.id).unwrap();
    let passport = jpeg(&document_image(1000, 700));
    let version = documents::uploaded(&app, applicant_id, DocumentType::Passport, &passport).await;
    assert_eq!(serde_json::to_value(documents::scan(&app, &version).await.status).unwrap(), "clean");
    app.state.kyc.submit(&documents::actor(applicant_id), applicant_id).await.unwrap();

    // A customer whose transfer is flagged, and an account to freeze.
    let payer = app.customer().await;
    let from = app.funded(&payer, "EUR", 100_000).await;
    let to = app.funded(&payer, "EUR", 0).await;
    let suspicious = app.funded(&payer, "EUR", 5_000).await;
    let entry = app.transferred(&payer, &from, &to, 25_000).await;

    // A dead job.
    let runs = Arc::new(AtomicUsize::new(0));
    let workers = start_workers(&app.state.jobs, fails_first_time(runs.clone()), false);
    let job = NewJob {
        queue: QUEUE,
        payload: serde_json::json!({"probe": 1}),
        key: None,
        id: None,
        run_at: None,
        max_attempts: 3,
    };
    app.state.jobs.push(job).await.unwrap();
    eventually(Duration::from_secs(20), "the job to be dead", async || dead_jobs(&app).await == 1).await;

    // Alice signs in with password and TOTP.
    browser_sign_in(&browser, &app, &mut alice).await;
    let dashboard = browser.body_text().await;
    assert!(dashboard.contains("Transfers per day") && dashboard.contains("KYC submissions waiting"), "{dashboard}");
    screenshot(&browser, "dashboard").await;

    // KYC: the document is shown inline beside the declared identity, then approved.
    open_at(&browser, &app, "/console/kyc", ".review-link").await;
    browser.click_through(Locator::Css(".review-link")).await;
    let shown = browser.client.wait().for_element(Locator::Css("img.document-image")).await.unwrap();
    eventually(Duration::from_secs(10), "the passport to be drawn", async || {
        let width =
            browser.client.execute("return document.querySelector('img.document-image').naturalWidth", vec![]).await;
        width.is_ok_and(|w| w.as_u64().unwrap_or(0) > 0)
    })
    .await;
    assert!(shown.is_displayed().await.unwrap());
    let declared = browser.client.find(Locator::Css("#declared-name")).await.unwrap().text().await.unwrap();
    assert!(!declared.trim().is_empty(), "the declared identity is beside the document");
    screenshot(&browser, "kyc-review").await;
    click(&browser, "#decision-approve").await;
    browser.click_through(Locator::Css("#record-decision")).await;
    assert!(browser.body_text().await.contains("The KYC decision was recorded"));
    assert_eq!(serde_json::to_value(app.state.kyc.state(applicant_id).await.unwrap().status).unwrap(), "approved");

    // Freeze an account.
    open_at(&browser, &app, &format!("/console/accounts?q={}", suspicious.number.as_str()), "main table").await;
    browser.click_through(Locator::LinkText(suspicious.number.as_str())).await;
    fill(&browser, "#freeze-reason", "card fraud reported by the owner").await;
    browser.click_through(Locator::Css("#freeze")).await;
    let status = browser.client.find(Locator::Css("#account-status")).await.unwrap().text().await.unwrap();
    assert_eq!(status, "frozen");
    let frozen = app.state.ledger.owned(&payer.caller, suspicious.id).await.unwrap();
    assert_eq!(serde_json::to_value(frozen.status).unwrap(), "frozen");

    // Ask for the transfer's reversal: it waits for a second pair of eyes.
    open_at(&browser, &app, &format!("/console/accounts/{}", from.id), "#transactions").await;
    screenshot(&browser, "account").await;
    click(&browser, "#transactions details summary").await;
    fill(&browser, &format!("#reverse-{entry}"), "customer disputes the transfer").await;
    browser.click_through(Locator::Css(".request-reversal")).await;
    assert!(browser.body_text().await.contains("awaits a second staff member"), "{}", browser.body_text().await);
    assert_eq!(balance(&app, &payer.caller, &from).await, 75_000, "nothing moves before the approval");

    // Alice cannot approve her own request.
    open_at(&browser, &app, "/console/approvals", "#approvals").await;
    assert!(browser.body_text().await.contains("yours: another staff member decides"));
    assert!(browser.client.find(Locator::Css("#approvals .approve")).await.is_err());

    // Sign out; Bob signs in and approves.
    browser.click_through(Locator::Css("#sign-out")).await;
    assert_eq!(browser.client.current_url().await.unwrap().path(), "/console/sign-in");
    browser_sign_in(&browser, &app, &mut bob).await;
    open_at(&browser, &app, "/console/approvals", "#approvals .approve").await;
    screenshot(&browser, "approvals").await;
    browser.click_through(Locator::Css("#approvals .approve")).await;
    assert!(browser.body_text().await.contains("Approved"));
    assert_eq!(balance(&app, &payer.caller, &from).await, 100_000, "the reversal gave the money back");
    assert_eq!(balance(&app, &payer.caller, &to).await, 0);

    // Resolve the case the flagged transfer opened.
    open_at(&browser, &app, "/console/cases", "#cases").await;
    browser.click_through(Locator::Css("#cases tbody a")).await;
    click(&browser, "#outcome-cleared").await;
    fill(&browser, "#resolve-note", "the customer confirmed the payment").await;
    browser.click_through(Locator::Css("#resolve")).await;
    let case_status = browser.client.find(Locator::Css("#case-status")).await.unwrap().text().await.unwrap();
    assert!(case_status.starts_with("resolved"), "{case_status}");
    assert_eq!(app.state.cases.open_count().await.unwrap(), 0);

    // Verify the audit chain.
    open_at(&browser, &app, "/console/audit", "#verify-chain").await;
    browser.click_through(Locator::Css("#verify-chain")).await;
    let report = browser.client.find(Locator::Css("#chain-report")).await.unwrap().text().await.unwrap();
    assert!(report.contains("intact"), "{report}");
    screenshot(&browser, "audit").await;

    // Retry the dead job: it runs again and succeeds.
    open_at(&browser, &app, "/console/jobs", "#failures .retry").await;
    browser.click_through(Locator::Css("#failures .retry")).await;
    assert!(browser.body_text().await.contains("back on its queue"));
    eventually(Duration::from_secs(20), "the retried job to run", async || runs.load(Ordering::SeqCst) == 2).await;
    eventually(Duration::from_secs(10), "no dead job left", async || dead_jobs(&app).await == 0).await;

    // Every step was the staff member's, in the audit log.
    for action in ["admin.jobs.retry", "admin.audit_logs.verify", "pii.read"] {
        assert!(!app.audit_actions(action).await.is_empty(), "{action} was recorded");
    }
    assert_books_balance(&app).await;
    workers.stop().await;
    browser.close().await;
}
