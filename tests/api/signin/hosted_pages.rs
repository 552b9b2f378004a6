//! The hosted pages: every link in a real email (the test SMTP server) completes its flow in
//! Chromium, without JavaScript being needed; used, expired and invalid links say so; forms are
//! CSRF-protected; the pages carry the strict CSP.

use std::time::Duration;

use fantoccini::Locator;
use figment::providers::Serialized;
use serde_json::json;

use crate::support::browser::{Browser, spawn_app_at_public_url};
use crate::support::identity::{PASSWORD, unique_email};
use crate::support::jobs::{SmtpOptions, SmtpServer, eventually, start_workers};
use crate::support::{TestApp, assert_problem};

const NEW_PASSWORD: &str = "lighthouse tangerine orbit 77";

async fn app_with_smtp(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_at_public_url(move |figment| {
        figment.merge(Serialized::default("mail.smtp_url", url)).merge(Serialized::default("jobs.poll_interval_ms", 50))
    })
    .await
}

/// The link to `page` in the newest message to `to`, as the mail program shows it (the text
/// part, quoted-printable undone).
async fn emailed_link(smtp: &SmtpServer, app: &TestApp, to: &str, page: &str) -> String {
    let prefix = format!("{}/{page}?token=", app.state.config.public_url);
    let mut found = None;
    eventually(Duration::from_secs(30), "the email to arrive", async || {
        let messages = smtp.received();
        found = messages
            .iter()
            .rev()
            .filter(|m| m.contains(to))
            .map(|m| m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
            .find_map(|m| {
                let start = m.find(&prefix)?;
                let link: String =
                    m[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || ":/.?=_-".contains(*c)).collect();
                Some(link)
            });
        found.is_some()
    })
    .await;
    found.unwrap()
}

/// The page's state message, waiting for the page the last click led to.
async fn state_text(browser: &Browser) -> String {
    let found = browser.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("state")).await;
    match found {
        Ok(state) => state.text().await.unwrap(),
        Err(error) => panic!("no state message ({error}); the page says: {}", browser.body_text().await),
    }
}

async fn submit_passwords(browser: &Browser, password: &str, confirm: &str) {
    browser.client.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    browser.client.find(Locator::Id("confirm")).await.unwrap().send_keys(confirm).await.unwrap();
    browser.click_through(Locator::Css("button[type=submit]")).await;
}

#[actix_web::test]
async fn every_emailed_link_completes_its_flow_in_chromium() {
    let Some(browser) = Browser::start().await else { return };
    let smtp = SmtpServer::start(SmtpOptions::default()).await;
    let app = app_with_smtp(&smtp).await;
    let registry = tresor::worker::registry(&tresor::worker::Handlers::of(&app.state)).unwrap();
    let workers = start_workers(&app.state.jobs, registry, false);

    // Verify the email address.
    let email = unique_email("hosted");
    app.register_user(&email).await;
    let link = emailed_link(&smtp, &app, &email, "verify-email").await;
    browser.open(&link).await;
    assert!(browser.body_text().await.contains("Confirm your email address"));
    browser.click_through(Locator::Css("button[type=submit]")).await;
    assert_eq!(state_text(&browser).await, "Your email address is confirmed.");
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    browser.open(&link).await;
    assert_eq!(state_text(&browser).await, "This link was already used.");

    // Reset the password: a mismatch is shown on the form, then the flow completes.
    app.post_json("/v1/auth/password/forgot", &json!({"email": email})).await;
    let link = emailed_link(&smtp, &app, &email, "reset-password").await;
    browser.open(&link).await;
    submit_passwords(&browser, NEW_PASSWORD, "something else entirely").await;
    let errors = browser.client.find(Locator::Css(".errors")).await.unwrap().text().await.unwrap();
    assert!(errors.contains("not the same"), "{errors}");
    submit_passwords(&browser, "passwordpassword", "passwordpassword").await;
    let errors = browser.client.find(Locator::Css(".errors")).await.unwrap().text().await.unwrap();
    assert!(errors.contains("The password"), "a weak password is refused with words: {errors}");
    submit_passwords(&browser, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(state_text(&browser).await, "Your password was changed.");
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);
    assert_eq!(app.login(&email, PASSWORD).await.status(), 401);

    // Accept an invitation sent by staff.
    let invited = unique_email("invited");
    let user = tresor::identity::users::ProvisionedUser {
        email: tresor::identity::fields::Email::parse(&invited).unwrap(),
        full_name: tresor::identity::fields::FullName::parse("Grace Hopper").unwrap(),
        roles: vec![tresor::identity::Role::Customer],
        invite_by_email: true,
    };
    app.state.identity.create_user(user, None, &tresor::audit::Actor::system()).await.unwrap();
    let link = emailed_link(&smtp, &app, &invited, "accept-invite").await;
    browser.open(&link).await;
    submit_passwords(&browser, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(state_text(&browser).await, "Your password is set.");
    assert_eq!(app.login(&invited, NEW_PASSWORD).await.status(), 200);

    // None of it needed a script: the pages' CSP would have refused an inline one anyway.
    let csp = app.get("/verify-email").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    workers.stop().await;
    browser.close().await;
}

#[actix_web::test]
async fn a_link_in_the_fragment_is_read_by_the_pages_script() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app_at_public_url(|f| f).await;
    let email = unique_email("fragment");
    app.register_user(&email).await;
    let token = app.link_token(&email, "verify_email").await;
    browser.open(&app.url(&format!("/verify-email#token={token}"))).await;
    let token_field = browser.client.find(Locator::Css("input[name=token]")).await.unwrap();
    eventually(Duration::from_secs(10), "the script to move the token into the query", async || {
        browser.client.current_url().await.unwrap().query().is_some_and(|q| q.contains("token="))
    })
    .await;
    drop(token_field);
    browser.click_through(Locator::Css("button[type=submit]")).await;
    assert_eq!(state_text(&browser).await, "Your email address is confirmed.");
    browser.close().await;
}

#[actix_web::test]
async fn used_expired_and_invalid_links_say_so_and_get_does_not_use_the_token() {
    let app = spawn_app_at_public_url(|f| f).await;
    let email = unique_email("states");
    app.register_user(&email).await;
    let token = app.link_token(&email, "verify_email").await;

    // Opening the page (as a mail scanner would) uses nothing.
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"csrf_token\"") && !page.contains("<style") && !page.contains("style="));
    assert!(!page.contains("<script>"), "no inline script");
    assert_eq!(app.verify_email(&token).await.status(), 204, "the token was still live");

    let used = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(used.status(), 410);
    assert!(used.text().await.unwrap().contains("already used"));
    let invalid = app.get(&format!("/reset-password?token={}", "A".repeat(43))).await;
    assert_eq!(invalid.status(), 400);
    assert!(invalid.text().await.unwrap().contains("not valid"));
    let junk = app.get("/accept-invite?token=%3Cscript%3E").await;
    assert_eq!(junk.status(), 400);
    assert!(!junk.text().await.unwrap().contains("<script>"));

    let other = unique_email("expired");
    app.register_user(&other).await;
    let old = app.link_token(&other, "verify_email").await;
    sqlx::query("UPDATE one_time_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE purpose = 'verify_email' AND used_at IS NULL")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let expired = app.get(&format!("/verify-email?token={old}")).await;
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("expired"));

    // Without a token, the page asks for it.
    let bare = app.get("/reset-password").await;
    assert_eq!(bare.status(), 200);
    assert!(bare.text().await.unwrap().contains("name=\"token\" type=\"text\""));
}

#[actix_web::test]
async fn a_form_post_from_another_site_is_refused_and_changes_nothing() {
    let app = spawn_app_at_public_url(|f| f).await;
    let email = unique_email("csrf");
    app.register_user(&email).await;
    let token = app.link_token(&email, "verify_email").await;
    let page = app.get(&format!("/verify-email?token={token}")).await;
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let csrf = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let post = |origin: &'static str, cookie: Option<String>, csrf: String| {
        let mut request = app
            .client
            .post(app.url("/verify-email"))
            .header("origin", if origin == "self" { app.origin() } else { origin.to_owned() })
            .header("content-type", "application/x-www-form-urlencoded")
            // base64url tokens need no form encoding
            .body(format!("token={token}&csrf_token={csrf}"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    for (origin, cookie, csrf) in [
        ("https://evil.example", Some(cookie.clone()), csrf.clone()),
        ("null", Some(cookie.clone()), csrf.clone()),
        ("self", None, csrf.clone()),
        ("self", Some(cookie.clone()), "x".repeat(43)),
    ] {
        let refused = post(origin, cookie, csrf).await.unwrap();
        assert_eq!(refused.status(), 403);
        assert!(refused.text().await.unwrap().contains("could not be accepted"));
    }
    assert_problem(app.login(&email, PASSWORD).await, 403, "email-unverified").await;
    let accepted = post("self", Some(cookie), csrf).await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn with_an_app_url_people_links_go_to_the_front_end_and_downloads_keep_the_public_url() {
    let app = crate::support::spawn_app_with(|f| {
        f.merge(Serialized::default("server.public_url", "https://api.bank.example"))
            .merge(Serialized::default("server.app_url", "https://app.bank.example/"))
    })
    .await;
    let email = unique_email("app");
    app.register_user(&email).await;
    let mail = app.mail_to(&email, "verify_email").await;
    let link = mail[0].data["link"].as_str().unwrap();
    assert!(link.starts_with("https://app.bank.example/verify-email#token="), "{link}");
    assert_eq!(app.state.documents.public_url, "https://api.bank.example");
}
