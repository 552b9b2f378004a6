//! Passkeys in a real headless Chromium with a W3C virtual authenticator (CTAP2, resident keys,
//! user verification): registration, passwordless sign-in, step-up and removal; a cloned
//! authenticator's counter regression; refusals (another ceremony's challenge, a replayed finish,
//! another user's passkey). The page under test is the server's own `/passkeys`.

use serde_json::{Value, json};

use crate::support::browser::{Browser, spawn_app_at_localhost};
use crate::support::identity::{PASSWORD, SignedIn};
use crate::support::mfa::claims;
use crate::support::{TestApp, assert_problem, spawn_app};

/// The app on `http://localhost:<port>`, a browser on its passkeys page with a virtual
/// authenticator, and the authenticator's id.
async fn ready() -> Option<(TestApp, Browser, String)> {
    let browser = Browser::start().await?;
    let app = spawn_app_at_localhost(|f| f).await;
    let authenticator = browser.add_virtual_authenticator(None).await;
    browser.open(&format!("{}/passkeys", app.state.config.public_url)).await;
    Some((app, browser, authenticator))
}

/// Registers a passkey named `name` for `signed` through the page; the answer's body.
async fn register(browser: &Browser, signed: &SignedIn, name: &str) -> Value {
    let answer = browser.passkeys("register", vec![json!(signed.access), json!(name)]).await;
    assert_eq!(answer["status"], 201, "{answer}");
    answer["body"].clone()
}

async fn passkey_list(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get_authed("/v1/mfa/passkeys", token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn delete(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client.delete(app.url(&format!("/v1/mfa/passkeys/{id}"))).bearer_auth(token).send().await.unwrap()
}

/// A passkey user signed in through the browser: the password, then the passkey.
async fn sign_in_with_passkey(app: &TestApp, browser: &Browser, signed: &SignedIn) -> SignedIn {
    let login: Value = app.login(&signed.user.email, PASSWORD).await.json().await.unwrap();
    let answer = browser.passkeys("secondStep", vec![login["mfa_token"].clone(), json!("body")]).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let body = &answer["body"];
    SignedIn {
        user: signed.user_clone(),
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        session_id: body["session_id"].as_str().unwrap().to_owned(),
    }
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_passkey_registers_signs_in_without_a_password_steps_up_and_is_removed_with_step_up() {
    let Some((app, browser, _)) = ready().await else { return };
    let signed = app.signed_in().await;

    let added = register(&browser, &signed, "Work laptop").await;
    assert_eq!(added["name"], "Work laptop");
    assert!(added["id"].is_string() && added["created_at"].is_string(), "{added}");
    let listed = passkey_list(&app, &signed.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], added["id"]);
    assert_eq!(listed[0]["suspended"], false);
    assert_eq!(app.mail_to(&signed.user.email, "passkey_added").await.len(), 1, "the owner is told");
    assert_eq!(audit_count(&app, "mfa.passkey_added").await, 1);
    // The authenticator holds a discoverable credential whose user handle is not the email.
    let handle: String = sqlx::query_scalar("SELECT handle FROM passkey_users WHERE user_id = $1")
        .bind(&signed.user.id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_ne!(handle, signed.user.id);

    // Passwordless: the authenticator offers the passkey; the session passed MFA and says so.
    let answer = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let access = answer["body"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&access)["sub"], json!(signed.user.id));
    assert_eq!(claims(&access)["mfa"], true);
    let sessions: Value = app.sessions(&access).await.json().await.unwrap();
    let via: Vec<&str> = sessions["items"].as_array().unwrap().iter().filter_map(|s| s["via"].as_str()).collect();
    assert!(via.contains(&"passkey"), "{sessions}");
    let listed = passkey_list(&app, &access).await;
    assert!(listed[0]["last_used_at"].is_string(), "the use is recorded: {listed:?}");

    // The password session opened before the passkey existed has not passed MFA: removing needs
    // a step-up, and the passkey gives one.
    let refused = delete(&app, &signed.access, added["id"].as_str().unwrap()).await;
    assert_problem(refused, 403, "mfa-step-up-required").await;
    let stepped = browser.passkeys("stepUp", vec![json!(signed.access)]).await;
    assert_eq!(stepped["status"], 204, "{stepped}");
    assert_eq!(audit_count(&app, "auth.mfa_step_up").await, 1);
    let removed = delete(&app, &signed.access, added["id"].as_str().unwrap()).await;
    assert_eq!(removed.status(), 204);
    assert!(passkey_list(&app, &signed.access).await.is_empty());
    assert_eq!(app.mail_to(&signed.user.email, "passkey_removed").await.len(), 1);
    assert_eq!(audit_count(&app, "mfa.passkey_removed").await, 1);

    // Gone from the server: the authenticator still offers it, the server no longer knows it.
    let answer = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(answer["status"], 401, "{answer}");
    assert_eq!(answer["body"]["type"], "/problems/passkey-invalid");
    browser.close().await;
}

#[actix_web::test]
async fn a_password_sign_in_of_a_passkey_user_asks_for_the_passkey_as_the_second_step() {
    let Some((app, browser, _)) = ready().await else { return };
    let signed = app.signed_in().await;
    register(&browser, &signed, "Key").await;

    let login: Value = app.login(&signed.user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(login["mfa_required"], true, "{login}");
    assert_eq!(login["factors"], json!(["passkey"]));
    assert!(login.get("access_token").is_none(), "no tokens before the second factor");
    let token = login["mfa_token"].as_str().unwrap().to_owned();
    // A code is no way in for a user without TOTP.
    let code = app.auth_mfa(&json!({"mfa_token": token, "code": "123456"})).await;
    assert_eq!(code.status(), 401);

    let answer = browser.passkeys("secondStep", vec![json!(token), json!("body")]).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let access = answer["body"]["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["mfa"], true);
    assert_eq!(claims(access)["sub"], json!(signed.user.id));
    // The token is spent with the sign-in, and a finish cannot be replayed.
    let again = app.post_json("/v1/auth/mfa/passkey/start", &json!({"mfa_token": token})).await;
    assert_problem(again, 401, "invalid-token").await;
    let replayed = app.post_json("/v1/auth/mfa/passkey/finish", &answer["request"]).await;
    assert_problem(replayed, 401, "invalid-token").await;

    // With TOTP on too, both are offered; the passkey works for that second step as well.
    let with_totp = app.enable_mfa(sign_in_with_passkey(&app, &browser, &signed).await).await;
    let login: Value = app.login(&signed.user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(login["factors"], json!(["totp", "passkey"]), "{login}");
    let answer = browser.passkeys("secondStep", vec![login["mfa_token"].clone(), json!("body")]).await;
    assert_eq!(answer["status"], 200, "{answer}");
    drop(with_totp);
    browser.close().await;
}

#[actix_web::test]
async fn the_page_buttons_add_a_passkey_and_sign_in_with_it_in_cookie_mode() {
    let Some((app, browser, _)) = ready().await else { return };
    let user = app.verified_user().await;
    // Signed in on this page's origin with a cookie session (as the hosted sign-in would).
    let script = r#"
        const [email, password, done] = arguments;
        fetch('/v1/auth/login?session=cookie', {method: 'POST', headers: {'content-type': 'application/json'},
            body: JSON.stringify({email, password})}).then(r => done(r.status), e => done(String(e)));
    "#;
    let status = browser.client.execute_async(script, vec![json!(user.email), json!(PASSWORD)]).await.unwrap();
    assert_eq!(status, 200);

    let name = browser.client.find(fantoccini::Locator::Css("#passkey-name")).await.unwrap();
    name.send_keys("Phone").await.unwrap();
    browser.client.find(fantoccini::Locator::Css("#passkey-add")).await.unwrap().click().await.unwrap();
    let state =
        browser.client.wait().for_element(fantoccini::Locator::Css("#state[data-state]:not([data-state='idle'])"));
    let state = state.await.unwrap();
    assert_eq!(state.attr("data-state").await.unwrap().as_deref(), Some("done"), "{}", state.text().await.unwrap());
    let id = state.attr("data-passkey-id").await.unwrap().expect("the new passkey's id");
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE id = $1 AND user_id = $2 AND name = 'Phone'")
            .bind(&id)
            .bind(&user.id)
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(rows, 1);

    // Signed out (the cookies gone), the other button signs in with the passkey alone.
    browser.client.delete_all_cookies().await.unwrap();
    browser.open(&format!("{}/passkeys", app.state.config.public_url)).await;
    browser.client.find(fantoccini::Locator::Css("#passkey-sign-in")).await.unwrap().click().await.unwrap();
    let state =
        browser.client.wait().for_element(fantoccini::Locator::Css("#state[data-state]:not([data-state='idle'])"));
    let state = state.await.unwrap();
    assert_eq!(state.attr("data-state").await.unwrap().as_deref(), Some("done"), "{}", state.text().await.unwrap());
    let cookies = browser.client.get_all_cookies().await.unwrap();
    assert!(cookies.iter().any(|c| c.name() == "__Host-tresor_refresh"), "a cookie session was opened");
    let token = browser.passkeys("accessToken", vec![]).await;
    assert_eq!(claims(token.as_str().unwrap())["mfa"], true, "the refreshed session still counts as MFA");
    browser.close().await;
}

#[actix_web::test]
async fn a_cloned_authenticators_counter_going_backwards_suspends_the_passkey() {
    let Some((app, browser, authenticator)) = ready().await else { return };
    let signed = app.signed_in().await;
    let added = register(&browser, &signed, "Key").await;
    let first = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(first["status"], 200, "{first}");
    let stored: i64 = sqlx::query_scalar("SELECT sign_count FROM passkeys WHERE id = $1")
        .bind(added["id"].as_str().unwrap())
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert!(stored > 0, "the virtual authenticator counts signatures");

    // A copy of the key with an older counter: the same private key, signCount 0.
    let credentials = browser.authenticator_credentials(&authenticator).await;
    let mut clone = credentials[0].clone();
    let path = format!("webauthn/authenticator/{authenticator}/credentials");
    browser.webdriver(reqwest::Method::DELETE, &path, None).await;
    clone["signCount"] = json!(0);
    let add = format!("webauthn/authenticator/{authenticator}/credential");
    browser.webdriver(reqwest::Method::POST, &add, Some(clone.clone())).await;

    let refused = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(refused["status"], 403, "{refused}");
    assert_eq!(refused["body"]["type"], "/problems/passkey-suspended");
    let events = app.security_events("passkey_counter_regression").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["user_id"], json!(signed.user.id));
    assert_eq!(events[0]["detail"]["passkey_id"], added["id"]);
    assert_eq!(app.mail_to(&signed.user.email, "passkey_suspended").await.len(), 1, "the owner is told");
    assert_eq!(audit_count(&app, "mfa.passkey_suspended").await, 1);
    let listed = passkey_list(&app, &signed.access).await;
    assert_eq!(listed[0]["suspended"], true);

    // Stopped for good: even a counter far ahead is refused, and it is no step-up either.
    browser.webdriver(reqwest::Method::DELETE, &path, None).await;
    clone["signCount"] = json!(1000);
    browser.webdriver(reqwest::Method::POST, &add, Some(clone)).await;
    let again = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(again["status"], 403, "{again}");
    let step_up = app.post_authed("/v1/mfa/step-up/passkey/start", &signed.access, &json!({})).await;
    assert_problem(step_up, 409, "no-passkeys").await;
    assert_eq!(app.security_events("passkey_counter_regression").await.len(), 1, "one event, one email");
    browser.close().await;
}

#[actix_web::test]
async fn another_ceremonys_challenge_a_replayed_finish_and_another_users_passkey_are_refused() {
    let Some((app, browser, _)) = ready().await else { return };
    let signed = app.signed_in().await;
    let added = register(&browser, &signed, "Key").await;

    // An assertion made for one ceremony's challenge, finished on another's: refused, and
    // that second ceremony is spent; the assertion still finishes its own ceremony.
    let start = || async {
        let response = app.post_json("/v1/auth/passkey/start", &json!({})).await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };
    let (first, second) = (start().await, start().await);
    let credential = browser.passkeys("get", vec![first["publicKey"].clone()]).await;
    assert!(credential.get("error").is_none(), "{credential}");
    let crossed = json!({"ceremony": second["ceremony"], "credential": credential});
    let refused = app.post_json("/v1/auth/passkey/finish", &crossed).await;
    assert_problem(refused, 401, "passkey-invalid").await;
    let spent = app.post_json("/v1/auth/passkey/finish", &crossed).await;
    assert_problem(spent, 400, "passkey-ceremony-invalid").await;
    let own = json!({"ceremony": first["ceremony"], "credential": credential});
    assert_eq!(app.post_json("/v1/auth/passkey/finish", &own).await.status(), 200);

    // A finish replayed exactly as the browser sent it.
    let answer = browser.passkeys("signIn", vec![json!("body")]).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let replayed = app.post_json("/v1/auth/passkey/finish", &answer["request"]).await;
    assert_problem(replayed, 400, "passkey-ceremony-invalid").await;
    let junk = json!({"ceremony": "not-a-ceremony", "credential": answer["request"]["credential"]});
    assert_problem(app.post_json("/v1/auth/passkey/finish", &junk).await, 400, "passkey-ceremony-invalid").await;

    // Someone else (stepped up with TOTP) cannot see or remove it: 404, and it stays.
    let other = app.signed_in().await;
    let other = app.enable_mfa(other).await;
    let foreign = delete(&app, &other.signed.access, added["id"].as_str().unwrap()).await;
    assert_problem(foreign, 404, "not-found").await;
    assert!(passkey_list(&app, &other.signed.access).await.is_empty());
    assert_eq!(passkey_list(&app, &signed.access).await.len(), 1);
    // Nor step up their session with it.
    let stepped = browser.passkeys("stepUp", vec![json!(other.signed.access)]).await;
    assert_eq!(stepped["status"], 409, "they have no passkey: {stepped}");
    browser.close().await;
}

#[actix_web::test]
async fn with_mfa_for_all_a_passkey_is_enrolment_and_an_mfa_reset_removes_it() {
    use figment::providers::Serialized;
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app_at_localhost(|f| f.merge(Serialized::default("mfa.required_for", "all"))).await;
    browser.add_virtual_authenticator(None).await;
    browser.open(&format!("{}/passkeys", app.state.config.public_url)).await;
    let signed = app.signed_in().await;
    assert_problem(app.get_authed("/v1/accounts", &signed.access).await, 403, "mfa-enrolment-required").await;
    register(&browser, &signed, "Key").await;
    assert_eq!(app.get_authed("/v1/accounts", &signed.access).await.status(), 200, "a passkey is enrolment");

    let actor = tresor::audit::Actor { user_id: None, ip: None, user_agent: None };
    let user_id = uuid::Uuid::parse_str(&signed.user.id).unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let done = app.state.mfa.reset_in(&mut tx, &actor, user_id).await.unwrap();
    tx.commit().await.unwrap();
    app.state.mfa.after_reset(done).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(&signed.user.id)
        .fetch_one(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(left, 0, "the reset removed the passkey");
    let fresh = app.sign_in(signed.user_clone()).await;
    assert_problem(app.get_authed("/v1/accounts", &fresh.access).await, 403, "mfa-enrolment-required").await;
    browser.close().await;
}

#[actix_web::test]
async fn passkeys_are_off_when_the_public_url_is_an_ip_address() {
    let app = spawn_app().await;
    let refused = app.post_json("/v1/auth/passkey/start", &json!({})).await;
    assert_problem(refused, 503, "passkeys-unavailable").await;
    let page = app.get("/passkeys").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("connect-src 'self'") && policy.contains("script-src 'self'"), "{policy}");
    assert!(page.text().await.unwrap().contains("data-state=\"unavailable\""));
}

#[actix_web::test]
async fn staff_sign_in_to_the_console_with_a_passkey_and_the_page_goes_nowhere_else() {
    use std::time::Duration;

    use fantoccini::Locator;
    let Some((app, browser, _)) = ready().await else { return };
    let staff = app.signed_in_with_roles(&[tresor::identity::Role::Admin]).await;
    register(&browser, &staff, "Office laptop").await;
    let base = app.state.config.public_url.clone();

    // The console's sign-in page offers the passkey; the passkeys page signs in and goes back.
    browser.open(&format!("{base}/console/sign-in")).await;
    browser.click_through(Locator::Id("passkey-sign-in-link")).await;
    browser.client.find(Locator::Id("passkey-sign-in")).await.unwrap().click().await.unwrap();
    crate::support::jobs::eventually(Duration::from_secs(15), "the console's dashboard", async || {
        browser.client.current_url().await.unwrap().path() == "/console"
    })
    .await;
    let dashboard = browser.client.wait().for_element(Locator::Css("main figure svg")).await;
    assert!(dashboard.is_ok(), "the dashboard's charts: {}", browser.body_text().await);

    // Any other `next` is ignored: the page says it is done and stays.
    browser.client.delete_all_cookies().await.unwrap();
    browser.open(&format!("{base}/passkeys?next=https%3A%2F%2Fevil.example%2F")).await;
    browser.client.find(Locator::Id("passkey-sign-in")).await.unwrap().click().await.unwrap();
    let state = browser.client.wait().for_element(Locator::Css("#state[data-state]:not([data-state='idle'])"));
    assert_eq!(state.await.unwrap().attr("data-state").await.unwrap().as_deref(), Some("done"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(browser.client.current_url().await.unwrap().path(), "/passkeys");
    browser.close().await;
}
