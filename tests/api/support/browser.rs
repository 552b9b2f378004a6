//! A real browser for the tests: Debian's `chromedriver` (package `chromium-driver`) on a free
//! port, driving headless Chromium with a throwaway profile, through a fantoccini client.
//!
//! [`Browser::start`] returns `None` — after printing why — when chromedriver or Chromium is
//! missing, unless `TRESOR_TEST_BROWSER=required` (CI sets it), which turns that into a failure.
//! [`Browser::webdriver`] makes raw WebDriver calls fantoccini has no method for (the W3C
//! virtual authenticator: `POST /session/{id}/webauthn/authenticator`, `…/credential`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use super::jobs::{eventually, free_port};

const DRIVERS: [&str; 2] = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
const CHROMIUMS: [&str; 3] = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/// A running chromedriver with one browser session; both end on drop.
pub struct Browser {
    pub client: Client,
    /// `http://127.0.0.1:<port>` of chromedriver.
    pub driver_url: String,
    /// The WebDriver session id (for raw calls).
    pub session_id: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn first_existing(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Whether the browser tests must run (`TRESOR_TEST_BROWSER=required`).
pub fn required() -> bool {
    std::env::var("TRESOR_TEST_BROWSER").as_deref() == Ok("required")
}

/// Prints why a browser test is skipped, or fails when browsers are required.
fn skip(reason: &str) -> Option<Browser> {
    assert!(!required(), "TRESOR_TEST_BROWSER=required but {reason}");
    eprintln!("skipped: {reason} (apt-get install chromium chromium-driver)");
    None
}

impl Browser {
    /// chromedriver and a headless Chromium session, or `None` when they are not installed.
    pub async fn start() -> Option<Self> {
        let Some(driver_bin) = first_existing(&DRIVERS) else { return skip("no chromedriver installed") };
        let Some(chromium) = first_existing(&CHROMIUMS) else { return skip("no Chromium installed") };
        Some(Self::launch(&driver_bin, &chromium).await)
    }

    async fn launch(driver_bin: &Path, chromium: &Path) -> Self {
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver_url = format!("http://127.0.0.1:{port}");
        let status_url = format!("{driver_url}/status");
        let http = reqwest::Client::new();
        eventually(Duration::from_secs(30), "chromedriver to answer /status", async || {
            let Ok(response) = http.get(&status_url).send().await else { return false };
            let status: Value = response.json().await.unwrap_or_default();
            status["value"]["ready"] == json!(true)
        })
        .await;
        let profile = tempfile::tempdir().expect("temp dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities
            .insert("goog:chromeOptions".to_owned(), json!({ "binary": chromium.display().to_string(), "args": args }));
        // Two rustls providers are in the build: pick the application's (the app under test may
        // not have started yet).
        tresor::tls::install_crypto_provider();
        let mut builder = ClientBuilder::rustls().expect("TLS roots for the WebDriver client");
        builder.capabilities(capabilities);
        let client = builder.connect(&driver_url).await.expect("chromedriver opens a Chromium session");
        let session_id = client.session_id().await.expect("session id").expect("a session is open");
        Self { client, driver_url, session_id, driver, _profile: profile }
    }

    /// A raw WebDriver call on this session: `method` on `/session/{id}/{path}` with a JSON
    /// body; returns the answer's `value`. Panics with the driver's error when it refuses.
    pub async fn webdriver(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}/{}", self.driver_url, self.session_id, path.trim_start_matches('/'));
        let request = reqwest::Client::new().request(method, &url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let response = request.send().await.expect("chromedriver answers");
        let status = response.status();
        let answer: Value = response.json().await.expect("chromedriver answers JSON");
        assert!(status.is_success(), "WebDriver {url}: {status} {answer}");
        answer["value"].clone()
    }

    /// Adds a W3C virtual authenticator (CTAP2, internal, resident keys and user verification
    /// on by default: a platform passkey); returns its id.
    pub async fn add_virtual_authenticator(&self, options: Option<Value>) -> String {
        let options = options.unwrap_or_else(|| {
            json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserConsenting": true,
                "isUserVerified": true,
            })
        });
        let value = self.webdriver(reqwest::Method::POST, "webauthn/authenticator", Some(options)).await;
        value.as_str().expect("an authenticator id").to_owned()
    }

    /// Opens `url` and waits until the page has loaded.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// Clicks what `button` finds and waits until the page the click leads to has replaced the
    /// current one and finished loading: a find right after a click could otherwise still see
    /// the old page.
    pub async fn click_through(&self, button: fantoccini::Locator<'_>) {
        let old_page = self.client.find(fantoccini::Locator::Css("html")).await.expect("a page");
        self.client.find(button).await.expect("the element to click").click().await.expect("a click");
        eventually(Duration::from_secs(15), "the next page to replace the current one", async || {
            old_page.tag_name().await.is_err()
        })
        .await;
        eventually(Duration::from_secs(15), "the next page to load", async || {
            let state = self.client.execute("return document.readyState", vec![]).await;
            state.is_ok_and(|s| s == json!("complete"))
        })
        .await;
    }

    /// The text of the page's `<body>`.
    pub async fn body_text(&self) -> String {
        let body = self.client.find(fantoccini::Locator::Css("body")).await.expect("a body");
        body.text().await.expect("body text")
    }

    /// Ends the browser session (also done, less politely, on drop).
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The app on a port chosen beforehand, with its public URL naming that port, so the origin a
/// browser (or a test) sends is on the cookie sessions' allowlist.
pub async fn spawn_app_at_public_url(tune: impl FnOnce(figment::Figment) -> figment::Figment) -> super::TestApp {
    use figment::providers::Serialized;
    let port = free_port();
    super::spawn_app_with(move |figment| {
        tune(
            figment
                .merge(Serialized::default("server.bind", format!("127.0.0.1:{port}")))
                .merge(Serialized::default("server.public_url", format!("http://127.0.0.1:{port}"))),
        )
    })
    .await
}

/// The app on a port chosen beforehand with its public URL at `http://localhost:<port>`:
/// WebAuthn wants a host name as the relying party id, and browsers treat localhost as a
/// secure context over plain http.
pub async fn spawn_app_at_localhost(tune: impl FnOnce(figment::Figment) -> figment::Figment) -> super::TestApp {
    use figment::providers::Serialized;
    let port = free_port();
    super::spawn_app_with(move |figment| {
        tune(
            figment
                .merge(Serialized::default("server.bind", format!("127.0.0.1:{port}")))
                .merge(Serialized::default("server.public_url", format!("http://localhost:{port}"))),
        )
    })
    .await
}

impl Browser {
    /// Calls `window.tresorPasskeys.<step>(…args)` on the open page (the passkeys page's
    /// script) and returns what it resolved to, or `{error}` when it threw.
    pub async fn passkeys(&self, step: &str, args: Vec<Value>) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             window.tresorPasskeys.{step}(...Array.from(arguments).slice(0, -1))
                 .then(done, e => done({{error: e.name + ': ' + e.message}}));"
        );
        self.client.execute_async(&script, args).await.unwrap_or_else(|e| panic!("tresorPasskeys.{step}: {e}"))
    }

    /// The credentials the virtual authenticator `id` holds (with their private keys and counters).
    pub async fn authenticator_credentials(&self, id: &str) -> Vec<Value> {
        let value =
            self.webdriver(reqwest::Method::GET, &format!("webauthn/authenticator/{id}/credentials"), None).await;
        value.as_array().cloned().unwrap_or_default()
    }
}
