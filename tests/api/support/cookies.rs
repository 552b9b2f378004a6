//! Cookie-mode sessions seen from a client that handles cookies itself, so every attribute the
//! server sets can be checked: signing in with `?session=cookie`, refreshing with the cookie,
//! the CSRF header and an `Origin`.

use actix_web::cookie::Cookie;
use serde_json::{Value, json};

use crate::support::TestApp;

pub const REFRESH: &str = "__Host-tresor_refresh";
pub const CSRF: &str = "__Host-tresor_csrf";

/// The cookies a response sets, parsed.
pub fn set_cookies(response: &reqwest::Response) -> Vec<Cookie<'static>> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).unwrap())
        .collect()
}

pub fn named<'a>(cookies: &'a [Cookie<'static>], name: &str) -> &'a Cookie<'static> {
    cookies.iter().find(|c| c.name() == name).unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

/// A browser's cookie session: the access token from the body, the two cookies' values.
#[derive(Clone, Debug)]
pub struct CookieSession {
    pub access: String,
    pub session_id: String,
    pub refresh: String,
    pub csrf: String,
}

impl CookieSession {
    /// From a cookie-mode sign-in or refresh answer (200 asserted).
    pub async fn from_response(response: reqwest::Response) -> (Self, Vec<Cookie<'static>>) {
        assert_eq!(response.status(), 200);
        let cookies = set_cookies(&response);
        let body: Value = response.json().await.unwrap();
        assert!(body.get("refresh_token").is_none(), "the refresh token stays out of the body: {body}");
        let session = Self {
            access: body["access_token"].as_str().unwrap().to_owned(),
            session_id: body["session_id"].as_str().unwrap().to_owned(),
            refresh: named(&cookies, REFRESH).value().to_owned(),
            csrf: named(&cookies, CSRF).value().to_owned(),
        };
        assert_eq!(body["csrf_token"], json!(session.csrf), "the body repeats the CSRF cookie");
        (session, cookies)
    }

    pub fn cookie_header(&self) -> String {
        format!("{REFRESH}={}; {CSRF}={}", self.refresh, self.csrf)
    }
}

impl TestApp {
    /// The origin a browser on the public URL sends.
    pub fn origin(&self) -> String {
        self.state.config.public_url.clone()
    }

    /// `POST /v1/auth/login?session=cookie` with `extra` fields merged into the body.
    pub async fn login_cookie(&self, email: &str, password: &str, extra: Value) -> reqwest::Response {
        let mut body = json!({ "email": email, "password": password });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.client
            .post(self.url("/v1/auth/login?session=cookie"))
            .header("origin", self.origin())
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /v1/auth/refresh?session=cookie` with the given cookie header, CSRF header and
    /// Origin (each optional, to test the refusals).
    pub async fn refresh_cookie(
        &self,
        cookies: Option<&str>,
        csrf: Option<&str>,
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url("/v1/auth/refresh?session=cookie"));
        if let Some(cookies) = cookies {
            request = request.header("cookie", cookies);
        }
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap()
    }

    /// A proper cookie refresh of `session`: the next session state.
    pub async fn refresh_session(&self, session: &CookieSession) -> CookieSession {
        let response =
            self.refresh_cookie(Some(&session.cookie_header()), Some(&session.csrf), Some(&self.origin())).await;
        CookieSession::from_response(response).await.0
    }
}
