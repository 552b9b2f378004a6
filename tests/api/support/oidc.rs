//! A real OpenID provider for the tests: node-oidc-provider (tests/oidc/provider.mjs) on a
//! loopback port, with one confidential client (`tresor`) whose callback is the app's. Skipped
//! with a printed reason when Node or the package is missing (`npm ci` in tests/oidc), unless
//! `TRESOR_TEST_OIDC=required` (CI sets it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use figment::providers::Serialized;

/// The app's public URL in these tests: links and the callback the provider redirects to.
pub const PUBLIC_URL: &str = "http://tresor.localhost";
pub const PROVIDER: &str = "test";
const CLIENT_SECRET: &str = "a-client-secret-only-the-tests-know";

pub struct OidcProvider {
    pub port: u16,
    pub issuer: String,
    child: Child,
    keys: tempfile::TempDir,
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

impl OidcProvider {
    /// A provider on a free port, or `None` (with the reason printed) when it cannot run here.
    pub fn start() -> Option<Self> {
        let missing = if Command::new("node").arg("--version").output().is_err() {
            Some("no node installed")
        } else if !folder().join("node_modules/oidc-provider").exists() {
            Some("oidc-provider is not installed (npm ci in tests/oidc)")
        } else {
            None
        };
        if let Some(reason) = missing {
            assert!(
                std::env::var("TRESOR_TEST_OIDC").as_deref() != Ok("required"),
                "TRESOR_TEST_OIDC=required: {reason}"
            );
            eprintln!("skipped: {reason}");
            return None;
        }
        let mut keys = tempfile::tempdir().unwrap();
        // The free port is found by binding and releasing it, so another process may take it
        // before node listens: a provider that exits early is started again on a new port.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = spawn(port, &keys);
            let mut provider = Self { port, issuer: format!("http://localhost:{port}"), child, keys };
            match provider.wait_ready() {
                Ok(()) => return Some(provider),
                Err(exit) => {
                    eprintln!("the OpenID provider on port {port} exited ({exit}); starting it again");
                    keys = std::mem::replace(&mut provider.keys, tempfile::tempdir().unwrap());
                }
            }
        }
        panic!("the OpenID provider exited three times: {}", provider_log(&keys));
    }

    /// Stops the provider and starts it again on the same port with a new signing key in
    /// front of the old ones: a key rotation.
    pub fn rotate_keys(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port, &self.keys);
        if let Err(exit) = self.wait_ready() {
            panic!("the OpenID provider exited after the key rotation ({exit}): {}", provider_log(&self.keys));
        }
    }

    /// Waits until the provider accepts connections; `Err` with its exit status when it
    /// stopped first. Node starts slowly on a loaded machine, hence the long deadline.
    fn wait_ready(&mut self) -> Result<(), std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(90);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return Err(exit);
            }
            assert!(
                Instant::now() < deadline,
                "the OpenID provider did not start in 90 s: {}",
                provider_log(&self.keys)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The app's settings for this provider (named `test`).
    pub fn configure(&self, figment: figment::Figment) -> figment::Figment {
        figment
            .merge(Serialized::default("server.public_url", PUBLIC_URL))
            .merge(Serialized::default("oidc.providers.test.issuer", &self.issuer))
            .merge(Serialized::default("oidc.providers.test.client_id", "tresor"))
            .merge(Serialized::default("oidc.providers.test.client_secret", CLIENT_SECRET))
            .merge(Serialized::default("oidc.jwks_refresh_secs", 1))
    }

    /// Plays the user at the provider: follows `authorization_url`, signs in as `account`
    /// (`<subject>~<email>~<1|0|empty: email_verified>`) and returns the callback's query string.
    pub async fn authorize(&self, authorization_url: &str, account: &str) -> String {
        let browser =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let to_interaction = browser.get(authorization_url).send().await.unwrap();
        assert_eq!(to_interaction.status(), 303, "{}", to_interaction.text().await.unwrap_or_default());
        let interaction = format!("{}{}", self.issuer, location(&to_interaction));
        let signed_in = browser.get(&interaction).query(&[("account", account)]).send().await.unwrap();
        assert_eq!(signed_in.status(), 303, "{}", signed_in.text().await.unwrap_or_default());
        let resumed = browser.get(location(&signed_in)).send().await.unwrap();
        assert_eq!(resumed.status(), 303, "{}", resumed.text().await.unwrap_or_default());
        let callback = location(&resumed);
        let expected = format!("{PUBLIC_URL}/v1/auth/oidc/{PROVIDER}/callback?");
        assert!(callback.starts_with(&expected), "redirected to {callback}");
        callback[expected.len()..].to_owned()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(port: u16, keys: &tempfile::TempDir) -> Child {
    Command::new("node")
        .arg("provider.mjs")
        .current_dir(folder())
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_REDIRECT_URI", format!("{PUBLIC_URL}/v1/auth/oidc/{PROVIDER}/callback"))
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env("OIDC_KEYS_FILE", keys.path().join("keys.json"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(keys.path().join("provider.log")).expect("a log file for the provider"))
        .spawn()
        .expect("node runs")
}

/// What the provider wrote to its standard error, for a failure message.
fn provider_log(keys: &tempfile::TempDir) -> String {
    std::fs::read_to_string(keys.path().join("provider.log")).unwrap_or_default()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a Location header").to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?').map_or(url, |(_, q)| q);
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// `url` with the query parameter `name` set to `value`.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}
