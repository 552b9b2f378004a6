//! Sign-in with a real OpenID provider (node-oidc-provider on loopback): new users, linking
//! refused without `email_verified` or the local password, state / nonce / PKCE tampering,
//! key rotation, open redirects, identities and unlinking.

use serde_json::{Value, json};

use crate::support::cookies::{CookieSession, named, set_cookies};
use crate::support::identity::{PASSWORD, unique_email};
use crate::support::oidc::{OidcProvider, PROVIDER, PUBLIC_URL, location, param, with_param};
use crate::support::{TestApp, assert_problem, spawn_app_with};

const BACK: &str = "http://tresor.localhost/signed-in";

async fn app_with(provider: &OidcProvider) -> TestApp {
    spawn_app_with(|figment| provider.configure(figment)).await
}

impl TestApp {
    /// `GET …/start`: the provider's authorization URL (302 asserted).
    async fn oidc_start(&self, redirect_to: &str) -> String {
        let response = self
            .client
            .get(self.url(&format!("/v1/auth/oidc/{PROVIDER}/start")))
            .query(&[("redirect_to", redirect_to)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{}", response.text().await.unwrap_or_default());
        location(&response)
    }

    async fn oidc_callback(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/v1/auth/oidc/{PROVIDER}/callback?{query}")).await
    }

    /// A whole provider sign-in as `account`; the callback's response.
    async fn oidc_sign_in(&self, provider: &OidcProvider, account: &str) -> reqwest::Response {
        let url = self.oidc_start(BACK).await;
        let query = provider.authorize(&url, account).await;
        self.oidc_callback(&query).await
    }
}

fn account(subject: &str, email: &str, verified: &str) -> String {
    format!("{subject}~{email}~{verified}")
}

/// A callback that signed in: 303 back to `redirect_to` with the session cookies (HttpOnly,
/// `__Host-`); the access token, from a cookie-mode refresh.
async fn signed_in(app: &TestApp, response: reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap_or_default());
    assert_eq!(location(&response), BACK);
    let cookies = set_cookies(&response);
    let refresh = named(&cookies, "__Host-tresor_refresh");
    assert_eq!(refresh.http_only(), Some(true));
    assert_eq!(refresh.path(), Some("/"));
    let csrf = named(&cookies, "__Host-tresor_csrf").value().to_owned();
    let header = format!("__Host-tresor_refresh={}; __Host-tresor_csrf={csrf}", refresh.value());
    let refreshed = app.refresh_cookie(Some(&header), Some(&csrf), Some(&app.origin())).await;
    CookieSession::from_response(refreshed).await.0.access
}

/// A callback that sends the browser back with a step to take: the fragment's `name`.
fn fragment_param(response: &reqwest::Response, name: &str) -> String {
    assert_eq!(response.status(), 303);
    let location = location(response);
    let (base, fragment) = location.split_once('#').expect("a fragment");
    assert_eq!(base, BACK);
    assert!(!base.contains("token"), "no token in what is sent to a server");
    param(&format!("?{fragment}"), name).unwrap_or_else(|| panic!("{name} in {location}"))
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[actix_web::test]
async fn a_new_user_signs_in_with_the_provider_verified_and_the_session_shows_it() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let url = app.oidc_start(BACK).await;
    assert!(url.starts_with(&format!("{}/auth?", provider.issuer)), "{url}");
    assert_eq!(param(&url, "code_challenge_method").as_deref(), Some("S256"));
    for name in ["state", "nonce", "code_challenge"] {
        assert!(param(&url, name).is_some_and(|v| v.len() >= 43), "{name} in {url}");
    }
    let email = unique_email("federated");
    let query = provider.authorize(&url, &account("new-1", &email, "1")).await;
    let access = &signed_in(&app, app.oidc_callback(&query).await).await;
    let me: Value = app.get_authed("/v1/users/me", access).await.json().await.unwrap();
    assert_eq!(me["email"], email);
    let sessions: Value = app.sessions(access).await.json().await.unwrap();
    assert_eq!(sessions["items"][0]["via"], "oidc:test");
    let identities: Value = app.get_authed("/v1/users/me/identities", access).await.json().await.unwrap();
    assert_eq!(identities["items"].as_array().unwrap().len(), 1);
    assert_eq!(identities["items"][0]["provider"], "test");
    // The same provider account signs the same user in again; no second account.
    let again = signed_in(&app, app.oidc_sign_in(&provider, &account("new-1", &email, "1")).await).await;
    let me_again: Value = app.get_authed("/v1/users/me", &again).await.json().await.unwrap();
    assert_eq!(me_again["id"], me["id"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.linked'").await, 1);
    // No password was ever set: password sign-in answers like an unknown email.
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid-credentials").await;
}

#[actix_web::test]
async fn no_account_is_opened_for_an_address_the_provider_does_not_vouch_for() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let email = unique_email("unvouched");
    let response = app.oidc_sign_in(&provider, &account("u-1", &email, "0")).await;
    assert_problem(response, 403, "oidc-email-unverified").await;
    let response = app.oidc_sign_in(&provider, &account("u-2", "", "1")).await;
    assert_problem(response, 422, "oidc-email-missing").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[actix_web::test]
async fn an_existing_account_is_never_linked_without_email_verified() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let user = app.verified_user().await;
    for verified in ["0", ""] {
        let response = app.oidc_sign_in(&provider, &account("attacker", &user.email, verified)).await;
        assert_problem(response, 409, "oidc-link-refused").await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM oidc_pending_links").await, 0);
}

#[actix_web::test]
async fn an_existing_account_is_linked_only_once_its_password_is_proven() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let user = app.verified_user().await;
    let callback = app.oidc_sign_in(&provider, &account("owner", &user.email, "1")).await;
    assert!(set_cookies(&callback).is_empty(), "no session before the password");
    let link_token = fragment_param(&callback, "link_token");
    let wrong = app
        .post_json("/v1/auth/oidc/link", &json!({"link_token": link_token, "password": "not the password 123"}))
        .await;
    assert_problem(wrong, 403, "invalid-credentials").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 0);
    let forged =
        app.post_json("/v1/auth/oidc/link", &json!({"link_token": "x".repeat(43), "password": PASSWORD})).await;
    assert_problem(forged, 400, "invalid-token").await;
    let linked = app.post_json("/v1/auth/oidc/link", &json!({"link_token": link_token, "password": PASSWORD})).await;
    let pair = json_of(linked).await;
    let me: Value = app.get_authed("/v1/users/me", pair["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["id"], user.id.as_str());
    // Used once.
    let replay = app.post_json("/v1/auth/oidc/link", &json!({"link_token": link_token, "password": PASSWORD})).await;
    assert_problem(replay, 400, "invalid-token").await;
    // From now on the provider signs the user in directly.
    let direct = signed_in(&app, app.oidc_sign_in(&provider, &account("owner", &user.email, "1")).await).await;
    let me: Value = app.get_authed("/v1/users/me", &direct).await.json().await.unwrap();
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.linked'").await, 1);
}

#[actix_web::test]
async fn a_tampered_or_replayed_state_is_refused() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let url = app.oidc_start(BACK).await;
    let query = provider.authorize(&url, &account("s-1", &unique_email("state"), "1")).await;
    let state = param(&query, "state").unwrap();
    let mut forged = state.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let tampered = with_param(&format!("x?{query}"), "state", std::str::from_utf8(&forged).unwrap());
    assert_problem(app.oidc_callback(tampered.trim_start_matches("x?")).await, 400, "oidc-state-invalid").await;
    let without = with_param(&format!("x?{query}"), "state", "");
    assert_problem(app.oidc_callback(without.trim_start_matches("x?")).await, 400, "oidc-state-invalid").await;
    signed_in(&app, app.oidc_callback(&query).await).await;
    assert_problem(app.oidc_callback(&query).await, 400, "oidc-state-invalid").await;
}

#[actix_web::test]
async fn a_tampered_nonce_is_refused() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let url = app.oidc_start(BACK).await;
    let tampered = with_param(&url, "nonce", &"n".repeat(43));
    let query = provider.authorize(&tampered, &account("n-1", &unique_email("nonce"), "1")).await;
    let response = app.oidc_callback(&query).await;
    let body = assert_problem(response, 401, "oidc-token-invalid").await;
    assert!(body["detail"].as_str().unwrap().contains("nonce"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[actix_web::test]
async fn a_tampered_pkce_challenge_is_refused() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let url = app.oidc_start(BACK).await;
    // The challenge of another verifier: the code is bound to it, and ours does not match.
    let tampered = with_param(&url, "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM");
    let query = provider.authorize(&tampered, &account("p-1", &unique_email("pkce"), "1")).await;
    assert_problem(app.oidc_callback(&query).await, 401, "oidc-sign-in-failed").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[actix_web::test]
async fn an_id_token_signed_by_a_rotated_key_is_accepted_after_the_keys_are_read_again() {
    let Some(mut provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let email = unique_email("rotation");
    signed_in(&app, app.oidc_sign_in(&provider, &account("r-1", &email, "1")).await).await;
    provider.rotate_keys();
    // Past [oidc] jwks_refresh_secs (1 in the tests), an unknown key id makes the app re-read the keys.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    signed_in(&app, app.oidc_sign_in(&provider, &account("r-1", &email, "1")).await).await;
}

#[actix_web::test]
async fn redirects_off_the_allowed_origins_and_unknown_providers_are_refused() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    for target in [
        "https://evil.example/steal",
        "//evil.example/",
        "/relative/path",
        "javascript:alert(1)",
        "http://tresor.localhost.evil.example/",
        "https://tresor.localhost/",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/v1/auth/oidc/{PROVIDER}/start")))
            .query(&[("redirect_to", target)])
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, 400, "invalid-request").await;
        assert!(body["errors"]["redirect_to"].is_array(), "{target}: {body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM oidc_flows").await, 0);
    let unknown = app.get(&format!("/v1/auth/oidc/nope/start?redirect_to={PUBLIC_URL}/")).await;
    assert_problem(unknown, 404, "not-found").await;
}

#[actix_web::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked_and_others_identities_are_not_found() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let only_access =
        signed_in(&app, app.oidc_sign_in(&provider, &account("only", &unique_email("only"), "1")).await).await;
    let list: Value = app.get_authed("/v1/users/me/identities", &only_access).await.json().await.unwrap();
    let identity = list["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/users/me/identities/{identity}");
    let refused = app.client.delete(app.url(&path)).bearer_auth(&only_access).send().await.unwrap();
    assert_problem(refused, 409, "last-sign-in-method").await;
    // Someone else's identity is not found for them.
    let other = app.signed_in().await;
    let foreign = app.client.delete(app.url(&path)).bearer_auth(&other.access).send().await.unwrap();
    assert_problem(foreign, 404, "not-found").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 1);
    // A signed-in user with a password links a provider without proving it again, and may unlink it.
    let start = app
        .post_authed(&format!("/v1/users/me/identities/{PROVIDER}"), &other.access, &json!({"redirect_to": BACK}))
        .await;
    let url = json_of(start).await["authorization_url"].as_str().unwrap().to_owned();
    let query = provider.authorize(&url, &account("second", &unique_email("second"), "0")).await;
    let linked = app.oidc_callback(&query).await;
    assert_eq!(linked.status(), 303);
    assert_eq!(location(&linked), BACK);
    let mine: Value = app.get_authed("/v1/users/me/identities", &other.access).await.json().await.unwrap();
    let mine = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let removed = app
        .client
        .delete(app.url(&format!("/v1/users/me/identities/{mine}")))
        .bearer_auth(&other.access)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
}

#[actix_web::test]
async fn a_user_with_mfa_on_gets_the_mfa_step_after_the_provider() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let signed = app.signed_in().await;
    let mut user = app.enable_mfa(signed).await;
    let start = app
        .post_authed(&format!("/v1/users/me/identities/{PROVIDER}"), &user.signed.access, &json!({"redirect_to": BACK}))
        .await;
    let url = json_of(start).await["authorization_url"].as_str().unwrap().to_owned();
    let query = provider.authorize(&url, &account("mfa", &user.signed.user.email, "1")).await;
    assert_eq!(app.oidc_callback(&query).await.status(), 303);
    let callback = app.oidc_sign_in(&provider, &account("mfa", &user.signed.user.email, "1")).await;
    assert!(set_cookies(&callback).is_empty(), "no session before the second factor");
    let mfa_token = fragment_param(&callback, "mfa_token");
    let code = user.authenticator.code().await;
    let pair = json_of(app.auth_mfa(&json!({"mfa_token": mfa_token, "code": code})).await).await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(crate::support::mfa::claims(access)["mfa"], true);
    let sessions: Value = app.sessions(access).await.json().await.unwrap();
    let current = sessions["items"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap().clone();
    assert_eq!(current["via"], "oidc:test");
}

#[actix_web::test]
async fn an_expired_flow_is_refused_and_cleanup_removes_it_and_a_purged_users_identities() {
    let Some(provider) = OidcProvider::start() else { return };
    let app = app_with(&provider).await;
    let url = app.oidc_start(BACK).await;
    let query = provider.authorize(&url, &account("late", &unique_email("late"), "1")).await;
    sqlx::query("UPDATE oidc_flows SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.state.db.writer())
        .await
        .unwrap();
    assert_problem(app.oidc_callback(&query).await, 400, "oidc-state-invalid").await;
    let email = unique_email("purged");
    let access = signed_in(&app, app.oidc_sign_in(&provider, &account("purged", &email, "1")).await).await;
    let user_id: String = sqlx::query_scalar("SELECT id FROM users").fetch_one(app.state.db.reader()).await.unwrap();
    let purge_now = format!("{}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"));
    sqlx::query("UPDATE users SET status = 'deleted', deleted_at = $1 WHERE id = $2")
        .bind(&purge_now)
        .bind(&user_id)
        .execute(app.state.db.writer())
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report =
        tresor::identity::maintenance::cleanup(&app.state.db, later, chrono::Duration::days(30)).await.unwrap();
    assert_eq!(report.users_purged, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM oidc_flows").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 0);
    assert!(!access.is_empty());
}
