//! Cookie mode seen from a client that handles cookies itself.

use actix_web::cookie::SameSite;
use serde_json::{Value, json};

use crate::support::browser::spawn_app_at_public_url;
use crate::support::cookies::{CSRF, CookieSession, REFRESH, named, set_cookies};
use crate::support::{assert_problem, identity::PASSWORD};

#[actix_web::test]
async fn a_cookie_sign_in_puts_the_refresh_token_in_a_host_cookie_with_its_attributes() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let response = app.login_cookie(&user.email, PASSWORD, json!({})).await;
    let (session, cookies) = CookieSession::from_response(response).await;

    let refresh = named(&cookies, REFRESH);
    assert_eq!(refresh.http_only(), Some(true));
    assert_eq!(refresh.secure(), Some(true), "__Host- cookies are Secure (loopback http is a secure context)");
    assert_eq!(refresh.same_site(), Some(SameSite::Strict));
    assert_eq!(refresh.path(), Some("/"));
    assert_eq!(refresh.domain(), None, "__Host- cookies name no domain");
    assert!(
        refresh.max_age().is_none() && refresh.expires().is_none(),
        "without remember_me: a browser-session cookie"
    );
    let csrf = named(&cookies, CSRF);
    assert_ne!(csrf.http_only(), Some(true), "the page's scripts read the CSRF cookie");
    assert_eq!(csrf.secure(), Some(true));
    assert_eq!(csrf.same_site(), Some(SameSite::Strict));
    assert_ne!(session.refresh, session.csrf);

    // The access token from the body works as usual.
    let me = app.get_authed("/v1/users/me", &session.access).await;
    assert_eq!(me.status(), 200);
}

#[actix_web::test]
async fn remember_me_makes_the_cookie_and_the_session_last_the_remember_days() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let response = app.login_cookie(&user.email, PASSWORD, json!({"remember_me": true})).await;
    let (session, cookies) = CookieSession::from_response(response).await;
    let max_age = named(&cookies, REFRESH).max_age().expect("a persistent cookie").whole_seconds();
    let thirty_days = 30 * 86_400;
    assert!((thirty_days - 60..=thirty_days).contains(&max_age), "max-age {max_age}");
    assert!(named(&cookies, CSRF).max_age().is_some(), "the CSRF cookie lives as long");
    let (expires, idle): (String, String) =
        sqlx::query_as("SELECT expires_at, idle_expires_at FROM sessions WHERE id = $1")
            .bind(&session.session_id)
            .fetch_one(app.state.db.reader())
            .await
            .unwrap();
    assert_eq!(expires, idle, "a remembered session has no shorter idle end");
    let days = (chrono::DateTime::parse_from_rfc3339(&expires).unwrap().to_utc() - chrono::Utc::now()).num_days();
    assert_eq!(days, 29, "ends 30 days after sign-in");

    // It stays remembered through a refresh.
    let next = app.refresh_cookie(Some(&session.cookie_header()), Some(&session.csrf), Some(&app.origin())).await;
    let cookies = set_cookies(&next);
    assert!(named(&cookies, REFRESH).max_age().is_some());
    // A body-mode sign-in with remember_me gets the long session too.
    let body =
        app.post_json("/v1/auth/login", &json!({"email": user.email, "password": PASSWORD, "remember_me": true})).await;
    let body: Value = body.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
}

#[actix_web::test]
async fn a_cookie_refresh_rotates_the_cookie_and_the_old_one_is_spent() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let (first, _) = CookieSession::from_response(app.login_cookie(&user.email, PASSWORD, json!({})).await).await;
    let second = app.refresh_session(&first).await;
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.csrf, first.csrf, "every issue brings a new CSRF token");
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(app.get_authed("/v1/users/me", &second.access).await.status(), 200);
    let third = app.refresh_session(&second).await;
    assert_eq!(third.session_id, first.session_id);
}

#[actix_web::test]
async fn reusing_a_rotated_refresh_cookie_ends_the_session() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let (first, _) = CookieSession::from_response(app.login_cookie(&user.email, PASSWORD, json!({})).await).await;
    let second = app.refresh_session(&first).await;

    // Someone replays the first cookie (with a valid CSRF pair, e.g. a stolen cookie jar).
    let replay = app.refresh_cookie(Some(&first.cookie_header()), Some(&first.csrf), Some(&app.origin())).await;
    assert_problem(replay, 401, "invalid-token").await;
    // The whole session is over: the latest cookie and its access token no longer work.
    let latest = app.refresh_cookie(Some(&second.cookie_header()), Some(&second.csrf), Some(&app.origin())).await;
    assert_problem(latest, 401, "invalid-token").await;
    assert_eq!(app.get_authed("/v1/users/me", &second.access).await.status(), 401);
    assert_eq!(app.security_events("refresh_token_reuse").await.len(), 1);
}

#[actix_web::test]
async fn a_cross_site_refresh_is_refused_and_spends_nothing() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let (session, _) = CookieSession::from_response(app.login_cookie(&user.email, PASSWORD, json!({})).await).await;
    let cookies = session.cookie_header();
    let origin = app.origin();
    let refusals = [
        (Some(cookies.as_str()), None, Some(origin.as_str()), "X-CSRF-Token header is missing"),
        (Some(cookies.as_str()), Some("x".repeat(43)), Some(origin.as_str()), "does not match"),
        (Some(cookies.as_str()), Some(session.csrf.clone()), None, "no Origin"),
        (
            Some(cookies.as_str()),
            Some(session.csrf.clone()),
            Some("https://evil.example"),
            "origin this service does not accept",
        ),
        (Some(cookies.as_str()), Some(session.csrf.clone()), Some("null"), "origin this service does not accept"),
        (
            Some(&format!("{REFRESH}={}", session.refresh)[..]),
            Some(session.csrf.clone()),
            Some(origin.as_str()),
            "cookie __Host-tresor_csrf is missing",
        ),
    ];
    for (cookies, csrf, origin, words) in refusals {
        let response = app.refresh_cookie(cookies, csrf.as_deref(), origin).await;
        let problem = assert_problem(response, 403, "csrf-failed").await;
        assert!(problem["detail"].as_str().unwrap().contains(words), "{problem}");
    }
    // Nothing was spent: the cookie still refreshes once.
    let next = app.refresh_session(&session).await;
    assert_eq!(next.session_id, session.session_id);
    assert!(app.security_events("refresh_token_reuse").await.is_empty());
}

#[actix_web::test]
async fn cookie_mode_refusals_name_what_is_wrong() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    // A sign-in from a foreign origin opens no session.
    let foreign = app
        .client
        .post(app.url("/v1/auth/login?session=cookie"))
        .header("origin", "https://evil.example")
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_problem(foreign, 403, "csrf-failed").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // The refresh token belongs in the cookie in cookie mode, and in the body otherwise.
    let both = app.post_json("/v1/auth/refresh?session=cookie", &json!({"refresh_token": "x"})).await;
    let problem = assert_problem(both, 400, "invalid-request").await;
    assert!(problem["detail"].as_str().unwrap().contains("cookie"), "{problem}");
    let neither = app.post_json("/v1/auth/refresh", &json!({})).await;
    assert_problem(neither, 400, "invalid-request").await;
    let unknown_mode = app.post_json("/v1/auth/refresh?session=jar", &json!({"refresh_token": "x"})).await;
    assert_eq!(unknown_mode.status(), 400);
    // No cookie at all (with a valid-looking CSRF pair): 403 first, since the CSRF cookie is missing.
    let none = app.refresh_cookie(None, Some(&"a".repeat(43)), Some(&app.origin())).await;
    assert_problem(none, 403, "csrf-failed").await;
    // The body field works like the query.
    let body_mode = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("origin", app.origin())
        .json(&json!({"email": user.email, "password": PASSWORD, "session": "cookie"}))
        .send()
        .await
        .unwrap();
    CookieSession::from_response(body_mode).await;
}

#[actix_web::test]
async fn signing_out_drops_the_cookies_and_the_session() {
    let app = spawn_app_at_public_url(|f| f).await;
    let user = app.verified_user().await;
    let (session, _) = CookieSession::from_response(app.login_cookie(&user.email, PASSWORD, json!({})).await).await;
    let response = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&session.access)
        .header("cookie", session.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cleared = set_cookies(&response);
    for name in [REFRESH, CSRF] {
        let cookie = named(&cleared, name);
        assert_eq!(cookie.value(), "");
        assert_eq!(cookie.max_age().map(|a| a.whole_seconds()), Some(0));
    }
    let again = app.refresh_cookie(Some(&session.cookie_header()), Some(&session.csrf), Some(&app.origin())).await;
    assert_problem(again, 401, "invalid-token").await;
}

#[actix_web::test]
async fn the_mfa_step_answers_in_cookie_mode_and_keeps_remember_me() {
    let app = spawn_app_at_public_url(|f| f).await;
    let signed = app.signed_in().await;
    let mut user = app.enable_mfa(signed).await;
    let response = app.login_cookie(&user.signed.user.email, PASSWORD, json!({"remember_me": true})).await;
    let body: Value = response.json().await.unwrap();
    let token = body["mfa_token"].as_str().expect("the MFA step comes first").to_owned();
    let code = user.authenticator.code().await;
    let response = app
        .client
        .post(app.url("/v1/auth/mfa?session=cookie"))
        .header("origin", app.origin())
        .json(&json!({"mfa_token": token, "code": code}))
        .send()
        .await
        .unwrap();
    let (session, cookies) = CookieSession::from_response(response).await;
    assert!(named(&cookies, REFRESH).max_age().is_some(), "remember_me carried through the MFA step");
    assert_eq!(crate::support::mfa::claims(&session.access)["mfa"], true);
}
