//! The staff console from the outside: staff members with a real authenticator, a console client
//! that handles its cookies and forms itself over HTTP (redirects not followed, every header and
//! cookie visible), and the browser steps the console's Chromium tests share.

use actix_web::cookie::Cookie;
use fantoccini::Locator;
use tresor::identity::Role;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::cookies::{CSRF, REFRESH, set_cookies};
use crate::support::mfa::Authenticator;

/// A staff member with MFA on: what they type at the sign-in page.
pub struct ConsoleStaff {
    pub id: String,
    pub email: String,
    pub password: String,
    pub authenticator: Authenticator,
}

impl TestApp {
    /// A verified user with `roles` and TOTP enabled (through the API).
    pub async fn console_staff(&self, roles: &[Role]) -> ConsoleStaff {
        let signed = self.signed_in_with_roles(roles).await;
        let (id, email, password) = (signed.user.id.clone(), signed.user.email.clone(), signed.user.password.clone());
        let user = self.enable_mfa(signed).await;
        ConsoleStaff { id, email, password, authenticator: user.authenticator }
    }
}

/// The value of the hidden (or any) input `name` in a page.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no input {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A browser that is not a browser: it keeps the console's two cookies and posts its forms.
pub struct ConsoleHttp {
    pub client: reqwest::Client,
    pub base: String,
    pub origin: String,
    pub refresh: Option<String>,
    pub csrf: Option<String>,
}

impl ConsoleHttp {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { client, base: app.address.clone(), origin: app.origin(), refresh: None, csrf: None }
    }

    fn cookie_header(&self) -> String {
        let mut parts = Vec::new();
        if let Some(refresh) = &self.refresh {
            parts.push(format!("{REFRESH}={refresh}"));
        }
        if let Some(csrf) = &self.csrf {
            parts.push(format!("{CSRF}={csrf}"));
        }
        parts.join("; ")
    }

    /// Keeps what a response sets (an expired cookie removes it).
    pub fn keep(&mut self, cookies: &[Cookie<'static>]) {
        for cookie in cookies {
            let value = (!cookie.value().is_empty()).then(|| cookie.value().to_owned());
            match cookie.name() {
                REFRESH => self.refresh = value,
                CSRF => self.csrf = value,
                _ => {}
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&set_cookies(&response));
        response
    }

    /// Posts `fields` as a form with the cookies, `origin` (`None`: no Origin header) and the
    /// CSRF token field given (`None`: left out).
    pub async fn post_as(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
        csrf: Option<&str>,
    ) -> reqwest::Response {
        let mut form: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        if let Some(csrf) = csrf {
            form.push(("csrf_token".to_owned(), csrf.to_owned()));
        }
        let mut request = self.client.post(format!("{}{path}", self.base)).header("cookie", self.cookie_header());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
        let request = request.header("content-type", "application/x-www-form-urlencoded").body(body);
        let response = request.send().await.unwrap();
        self.keep(&set_cookies(&response));
        response
    }

    /// A proper form post: the page's origin and the session's CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let (origin, csrf) = (self.origin.clone(), self.csrf.clone());
        self.post_as(path, fields, Some(&origin), csrf.as_deref()).await
    }

    /// The password step; answers the response (the code form, or 303 for staff without MFA).
    pub async fn password(&mut self, email: &str, password: &str) -> reqwest::Response {
        let page = self.get("/console/sign-in").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert_eq!(Some(input_value(&html, "csrf_token")), self.csrf, "the form carries the CSRF cookie's token");
        self.post("/console/sign-in", &[("email", email), ("password", password)]).await
    }

    /// Signs `staff` in with password and code; answers the cookies the code step set.
    pub async fn sign_in(&mut self, staff: &mut ConsoleStaff) -> Vec<Cookie<'static>> {
        let code_form = self.password(&staff.email, &staff.password).await;
        assert_eq!(code_form.status(), 200);
        let mfa_token = input_value(&code_form.text().await.unwrap(), "mfa_token");
        let code = staff.authenticator.code().await;
        let signed = self.post("/console/sign-in/code", &[("mfa_token", &mfa_token), ("code", &code)]).await;
        assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap_or_default());
        assert_eq!(signed.headers()["location"], "/console");
        set_cookies(&signed)
    }
}

/// Types `text` into the field `css` finds.
pub async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = browser.client.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.send_keys(text).await.unwrap();
}

/// Clicks what `css` finds (no navigation expected).
pub async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Opens `path` and waits for `css` on it.
pub async fn open_at(browser: &Browser, app: &TestApp, path: &str, css: &str) {
    browser.open(&app.url(path)).await;
    browser.client.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{path}: {css}: {e}"));
}

/// Signs `staff` in through the pages: password, then a fresh authenticator code.
pub async fn browser_sign_in(browser: &Browser, app: &TestApp, staff: &mut ConsoleStaff) {
    browser.open(&app.url("/console")).await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/console/sign-in", "the console sends a visitor without a session to sign in");
    fill(browser, "#email", &staff.email).await;
    fill(browser, "#password", &staff.password).await;
    browser.click_through(Locator::Css("#continue")).await;
    let code = staff.authenticator.code().await;
    fill(browser, "#code", &code).await;
    browser.click_through(Locator::Css("#verify")).await;
    assert_eq!(browser.client.current_url().await.unwrap().path(), "/console", "{}", browser.body_text().await);
}

/// With `TRESOR_CONSOLE_SCREENSHOTS=1`, saves the page as `docs/console/<name>.png`, scaled to
/// 960 px wide (the documentation's pictures).
pub async fn screenshot(browser: &Browser, name: &str) {
    if std::env::var("TRESOR_CONSOLE_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let png = browser.client.screenshot().await.unwrap();
    let image = image::load_from_memory(&png).unwrap();
    let scaled = image.resize(960, 2000, image::imageops::FilterType::Triangle);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/console");
    std::fs::create_dir_all(&dir).unwrap();
    scaled.save(dir.join(format!("{name}.png"))).unwrap();
}
