//! What the console refuses: forged and cross-origin forms (nothing changes), customers and
//! visitors without a session (no page, no data), framing, script in data; the session cookie's
//! attributes, its idle and absolute ends, and signing out.

use actix_web::cookie::SameSite;
use fantoccini::Locator;
use tresor::audit::Actor;
use tresor::identity::Role;
use tresor::identity::fields::{Email, FullName};
use tresor::identity::users::ProvisionedUser;
use uuid::Uuid;

use crate::support::browser::{Browser, spawn_app_at_public_url};
use crate::support::console::{ConsoleHttp, browser_sign_in, open_at, screenshot};
use crate::support::cookies::{CSRF, REFRESH, named};
use crate::support::identity::{PASSWORD, unique_email};

const PAGES: [&str; 10] = [
    "/console",
    "/console/kyc",
    "/console/users",
    "/console/accounts",
    "/console/approvals",
    "/console/cases",
    "/console/audit",
    "/console/security-events",
    "/console/jobs",
    "/console/webhooks",
];

fn session_of(app: &crate::support::TestApp, user: &str) -> impl std::future::Future<Output = Vec<Uuid>> {
    let sessions = app.state.sessions.clone();
    let user = Uuid::parse_str(user).unwrap();
    async move { sessions.list(user).await.unwrap().into_iter().map(|s| s.id).collect() }
}

#[actix_web::test]
async fn the_console_session_is_a_strict_host_cookie_listed_with_the_sessions_and_ended_by_sign_out() {
    let app = spawn_app_at_public_url(|f| f).await;
    let mut staff = app.console_staff(&[Role::Support]).await;
    let before = session_of(&app, &staff.id).await;
    let mut console = ConsoleHttp::new(&app);
    let cookies = console.sign_in(&mut staff).await;
    for name in [REFRESH, CSRF] {
        let cookie = named(&cookies, name);
        assert!(cookie.name().starts_with("__Host-"));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict), "{cookie}");
        assert_eq!(cookie.secure(), Some(true), "{cookie}");
        assert_eq!(cookie.path(), Some("/"), "{cookie}");
        assert_eq!(cookie.domain(), None, "{cookie}");
        assert_eq!(cookie.max_age(), None, "a console session ends with the browser: {cookie}");
    }
    assert_eq!(named(&cookies, REFRESH).http_only(), Some(true));

    // The page: no framing, no inline script or style, nothing cached.
    let page = console.get("/console").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script") && !html.contains("style="), "no inline script or style");

    // It is a session like any other: listed, then revoked by signing out.
    let after = session_of(&app, &staff.id).await;
    let opened: Vec<&Uuid> = after.iter().filter(|s| !before.contains(s)).collect();
    assert_eq!(opened.len(), 1, "the console session is in the session list");
    let signed_out = console.post("/console/sign-out", &[]).await;
    assert_eq!(signed_out.status(), 303);
    assert_eq!(signed_out.headers()["location"], "/console/sign-in");
    assert_eq!(console.refresh, None, "sign-out clears the refresh cookie");
    assert!(!session_of(&app, &staff.id).await.contains(opened[0]), "sign-out revoked the session");

    // The old cookie opens nothing any more.
    let mut replay = ConsoleHttp::new(&app);
    replay.refresh = Some(named(&cookies, REFRESH).value().to_owned());
    replay.csrf = Some(named(&cookies, CSRF).value().to_owned());
    let refused = replay.get("/console").await;
    assert_eq!(refused.status(), 303);
    assert_eq!(refused.headers()["location"], "/console/sign-in");
}

#[actix_web::test]
async fn an_idle_or_expired_console_session_sends_the_browser_to_sign_in() {
    let app = spawn_app_at_public_url(|f| f).await;
    let ends = [
        ("idle", "UPDATE sessions SET idle_expires_at = $1 WHERE user_id = $2"),
        ("absolute", "UPDATE sessions SET expires_at = $1 WHERE user_id = $2"),
    ];
    for (column, sql) in ends {
        let mut staff = app.console_staff(&[Role::Support]).await;
        let mut console = ConsoleHttp::new(&app);
        console.sign_in(&mut staff).await;
        assert_eq!(console.get("/console").await.status(), 200);
        let past = tresor::db::time::to_db(chrono::Utc::now() - chrono::Duration::seconds(1));
        sqlx::query(sql).bind(past).bind(&staff.id).execute(app.state.db.writer()).await.unwrap();
        let ended = console.get("/console").await;
        assert_eq!(ended.status(), 303, "{column}");
        assert_eq!(ended.headers()["location"], "/console/sign-in", "{column}");
    }
}

#[actix_web::test]
async fn forged_and_cross_origin_console_forms_are_refused_and_change_nothing() {
    let app = spawn_app_at_public_url(|f| f).await;
    let mut staff = app.console_staff(&[Role::Admin]).await;
    let owner = app.customer().await;
    let account = app.funded(&owner, "EUR", 1_000).await;
    let mut console = ConsoleHttp::new(&app);
    console.sign_in(&mut staff).await;
    let path = format!("/console/accounts/{}/freeze", account.id);
    let fields = [("reason", "forged")];
    let (origin, csrf) = (console.origin.clone(), console.csrf.clone().unwrap());
    let other = "A".repeat(43);
    let attempts: [(Option<&str>, Option<&str>, &str); 5] = [
        (None, Some(&csrf), "no Origin"),
        (Some("https://evil.example"), Some(&csrf), "a foreign Origin"),
        (Some("null"), Some(&csrf), "an opaque Origin"),
        (Some(&origin), Some(&other), "a wrong token"),
        (Some(&origin), Some(""), "an empty token"),
    ];
    for (origin, token, what) in attempts {
        let response = console.post_as(&path, &fields, origin, token).await;
        assert_eq!(response.status(), 403, "{what}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Nothing was changed"), "{what}: {page}");
    }
    let missing = console.post_as(&path, &fields, Some(&origin), None).await;
    assert_eq!(missing.status(), 400, "a form without its token does not parse");
    let status =
        async || serde_json::to_value(app.state.ledger.owned(&owner.caller, account.id).await.unwrap().status).unwrap();
    assert_eq!(status().await, "open", "no refused form changed anything");
    assert!(app.audit_actions("account.frozen").await.is_empty());

    // The same form, properly made, does.
    let done = console.post(&path, &fields).await;
    assert_eq!(done.status(), 303);
    assert_eq!(status().await, "frozen");
}

#[actix_web::test]
async fn a_customer_and_a_visitor_reach_no_console_page_and_staff_only_what_they_may() {
    let app = spawn_app_at_public_url(|f| f).await;
    let customer = app.verified_user().await;
    let mut as_customer = ConsoleHttp::new(&app);
    let signed = as_customer.password(&customer.email, &customer.password).await;
    assert_eq!(signed.status(), 303, "a user without MFA gets a session and the enrolment page");
    assert!(as_customer.refresh.is_some());
    let mut visitor = ConsoleHttp::new(&app);
    let some_account = format!("/console/accounts/{}", Uuid::now_v7());
    let some_user = format!("/console/users/{}", customer.id);
    for path in PAGES.iter().copied().chain([some_account.as_str(), some_user.as_str(), "/console/enrol"]) {
        let refused = as_customer.get(path).await;
        assert_eq!(refused.status(), 403, "{path}");
        let page = refused.text().await.unwrap();
        assert!(page.contains("Staff only") && !page.contains(&customer.email), "{path}: {page}");
        let anonymous = visitor.get(path).await;
        assert_eq!(anonymous.status(), 303, "{path}");
        assert_eq!(anonymous.headers()["location"], "/console/sign-in", "{path}");
    }
    let post = as_customer.post(&format!("{some_account}/freeze"), &[("reason", "x")]).await;
    assert_eq!(post.status(), 403);

    // Support staff: no audit section in the menu, and the page itself refused.
    let mut support = app.console_staff(&[Role::Support]).await;
    let mut console = ConsoleHttp::new(&app);
    console.sign_in(&mut support).await;
    let home = console.get("/console").await.text().await.unwrap();
    assert!(home.contains(">Users</a>") && !home.contains(">Audit log</a>"), "{home}");
    let audit = console.get("/console/audit").await;
    assert_eq!(audit.status(), 403);
    assert!(audit.text().await.unwrap().contains("audit:read"));

    // They read accounts but may not freeze one: no button, and the form refused regardless.
    let owner = app.customer().await;
    let account = app.funded(&owner, "EUR", 0).await;
    let page = console.get(&format!("/console/accounts/{}", account.id)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("account-status") && !html.contains("id=\"freeze\""), "{html}");
    let forced = console.post(&format!("/console/accounts/{}/freeze", account.id), &[("reason", "x")]).await;
    assert_eq!(forced.status(), 403);
    assert!(forced.text().await.unwrap().contains("accounts:manage"));
    let status = app.state.ledger.owned(&owner.caller, account.id).await.unwrap().status;
    assert_eq!(serde_json::to_value(status).unwrap(), "open");
}

#[actix_web::test]
async fn staff_without_a_second_factor_enrol_before_the_console_opens() {
    let app = spawn_app_at_public_url(|f| f).await;
    let staff = app.user_with_roles(&[Role::Support]).await;
    let mut console = ConsoleHttp::new(&app);
    let signed = console.password(&staff.email, &staff.password).await;
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/console/enrol");
    for path in PAGES {
        let sent = console.get(path).await;
        assert_eq!(sent.status(), 303, "{path}");
        assert_eq!(sent.headers()["location"], "/console/enrol", "{path}");
    }
    let setup = console.post("/console/enrol/setup", &[]).await;
    assert_eq!(setup.status(), 200);
    let html = setup.text().await.unwrap();
    let start = html.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret = html[start..].split('<').next().unwrap().to_owned();
    let mut authenticator = crate::support::mfa::Authenticator::new(&secret);
    let code = authenticator.code().await;
    let enabled = console.post("/console/enrol", &[("code", &code)]).await;
    assert_eq!(enabled.status(), 200);
    assert!(enabled.text().await.unwrap().contains("backup-codes"));
    assert_eq!(console.get("/console").await.status(), 200, "enrolling counts as passing MFA on this session");
}

#[actix_web::test]
async fn a_name_made_of_script_is_shown_as_text_and_never_runs() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app_at_public_url(|f| f).await;
    let name = "<script>alert(1)</script>";
    let email = unique_email("mallory");
    let account = ProvisionedUser {
        email: Email::parse(&email).unwrap(),
        full_name: FullName::parse(name).unwrap(),
        roles: vec![Role::Customer],
        invite_by_email: false,
    };
    app.state.identity.create_user(account, Some(PASSWORD.to_owned().into()), &Actor::system()).await.unwrap();
    let mut staff = app.console_staff(&[Role::Support]).await;
    browser_sign_in(&browser, &app, &mut staff).await;
    open_at(&browser, &app, &format!("/console/users?q={email}"), "main table").await;
    assert!(browser.body_text().await.contains(name), "the name is shown, as text");
    assert!(browser.client.get_alert_text().await.is_err(), "no script ran");
    browser.click_through(Locator::LinkText(name)).await;
    let shown = browser.client.find(Locator::Css("#user-name")).await.unwrap().text().await.unwrap();
    assert_eq!(shown, name);
    assert!(browser.client.get_alert_text().await.is_err(), "no script ran");
    let source = browser.client.source().await.unwrap();
    assert!(source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    screenshot(&browser, "user").await;
    browser.close().await;
}

#[actix_web::test]
async fn a_spent_refresh_cookie_shown_to_the_console_ends_the_session_as_a_refresh_would() {
    let app = spawn_app_at_public_url(|f| f).await;
    let mut staff = app.console_staff(&[Role::Support]).await;
    let before = session_of(&app, &staff.id).await;
    let mut console = ConsoleHttp::new(&app);
    console.sign_in(&mut staff).await;
    let stolen = (console.refresh.clone().unwrap(), console.csrf.clone().unwrap());
    // The API's cookie refresh spends the console's token (one mechanism) and sets the next.
    let session = crate::support::cookies::CookieSession {
        access: String::new(),
        session_id: String::new(),
        refresh: stolen.0.clone(),
        csrf: stolen.1.clone(),
    };
    let next = app.refresh_session(&session).await;
    console.refresh = Some(next.refresh.clone());
    console.csrf = Some(next.csrf.clone());
    assert_eq!(console.get("/console").await.status(), 200, "the next token opens the console");
    let mut thief = ConsoleHttp::new(&app);
    thief.refresh = Some(stolen.0);
    thief.csrf = Some(stolen.1);
    let refused = thief.get("/console").await;
    assert_eq!(refused.status(), 303, "a spent token opens nothing");
    let ended = console.get("/console").await;
    assert_eq!(ended.status(), 303, "and the whole session ended");
    assert_eq!(session_of(&app, &staff.id).await, before, "the console session is revoked, the others live");
    assert_eq!(app.security_events("refresh_token_reuse").await.len(), 1);
}
