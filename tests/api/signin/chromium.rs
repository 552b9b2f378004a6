//! Cookie sessions in a real Chromium: the browser keeps the `__Host-` cookies from a loopback
//! http origin, sends them back, and a page's script can refresh with the CSRF header.

use serde_json::json;

use crate::support::browser::{Browser, spawn_app_at_public_url};
use crate::support::identity::PASSWORD;

#[actix_web::test]
async fn chromium_keeps_the_host_cookies_and_refreshes_with_them() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    // A page on the API's origin whose CSP lets its scripts call the API (`connect-src 'self'`).
    browser.open(&app.url("/docs/")).await;
    let script = r#"
        const [email, password, done] = arguments;
        (async () => {
            const login = await fetch('/v1/auth/login?session=cookie', {method: 'POST',
                headers: {'content-type': 'application/json'}, body: JSON.stringify({email, password})});
            const signed = await login.json();
            const csrf = document.cookie.split('; ').find(c => c.startsWith('__Host-tresor_csrf=')).split('=')[1];
            const refresh = await fetch('/v1/auth/refresh?session=cookie', {method: 'POST',
                headers: {'x-csrf-token': csrf}});
            const refreshed = await refresh.json();
            const forged = await fetch('/v1/auth/refresh?session=cookie', {method: 'POST'});
            done({login: login.status, refresh: refresh.status, forged: forged.status,
                  readable: document.cookie.includes('tresor_refresh'),
                  same_session: signed.session_id === refreshed.session_id});
        })().catch(e => done({error: String(e)}));
    "#;
    let result = browser.client.execute_async(script, vec![json!(user.email), json!(PASSWORD)]).await.unwrap();
    assert_eq!(result["login"], 200, "{result}");
    assert_eq!(result["refresh"], 200, "the browser sent the cookies back: {result}");
    assert_eq!(result["forged"], 403, "without the CSRF header: {result}");
    assert_eq!(result["readable"], false, "the refresh cookie is HttpOnly: {result}");
    assert_eq!(result["same_session"], true, "{result}");
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let refresh = cookies.iter().find(|c| c.name() == "__Host-tresor_refresh").expect("the browser kept the cookie");
    assert_eq!(refresh.http_only(), Some(true));
    assert_eq!(refresh.secure(), Some(true));
    assert!(!browser.body_text().await.is_empty());
    browser.close().await;
}

#[actix_web::test]
async fn raw_webdriver_calls_reach_the_virtual_authenticator() {
    let Some(browser) = Browser::start().await else { return };
    let id = browser.add_virtual_authenticator(None).await;
    let path = format!("webauthn/authenticator/{id}/credentials");
    let credentials = browser.webdriver(reqwest::Method::GET, &path, None).await;
    assert_eq!(credentials, json!([]), "a new authenticator holds no credential");
    assert!(browser.driver_url.starts_with("http://127.0.0.1:"));
    browser.close().await;
}
