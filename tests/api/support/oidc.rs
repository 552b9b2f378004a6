//! A real OpenID provider for the tests: node-oidc-provider (tests/oidc/provider.mjs) on a
//! loopback port, with one confidential client (`tresor`) whose callback is the app's. Skipped
//! with a printed reason when Node or the package is missing (`npm ci` in tests/oidc), unless
//! `TRESOR_TEST_OIDC=required` (CI sets it).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::RecvTimeoutError;
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
        let keys = tempfile::tempdir().unwrap();
        // The provider picks its own port and says which on standard output once it listens,
        // so no other process can take the port in between. One that does not say so in time
        // (or exits) is stopped and started again, with what it wrote kept for the failure.
        let mut attempts = Vec::new();
        for _ in 0..3 {
            match spawn(0, &keys) {
                Ok((child, port)) => {
                    return Some(Self { port, issuer: format!("http://localhost:{port}"), child, keys });
                }
                Err(failure) => attempts.push(failure),
            }
        }
        panic!("the OpenID provider did not start three times:\n{}", attempts.join("\n"));
    }

    /// Stops the provider and starts it again on the same port with a new signing key in
    /// front of the old ones: a key rotation.
    pub fn rotate_keys(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        match spawn(self.port, &self.keys) {
            Ok((child, _)) => self.child = child,
            Err(failure) => panic!("the OpenID provider did not start again after the key rotation: {failure}"),
        }
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

/// Node starts slowly on a loaded machine, hence the long wait for one start.
const START_WAIT: Duration = Duration::from_secs(40);

/// Starts the provider on `port` (0: one the system picks) and waits for it to say it
/// listens: the child and its port, or why it did not start.
fn spawn(port: u16, keys: &tempfile::TempDir) -> Result<(Child, u16), String> {
    let log = keys.path().join("provider.log");
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(folder())
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_REDIRECT_URI", format!("{PUBLIC_URL}/v1/auth/oidc/{PROVIDER}/callback"))
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env("OIDC_KEYS_FILE", keys.path().join("keys.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("a log file for the provider"))
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().expect("the provider's standard output");
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("listening ").and_then(|port| port.trim().parse::<u16>().ok()) {
                let _ = said.send(port);
            }
        }
    });
    let started = Instant::now();
    let outcome = heard.recv_timeout(START_WAIT);
    let log = || std::fs::read_to_string(&log).unwrap_or_default();
    match outcome {
        Ok(port) => Ok((child, port)),
        Err(RecvTimeoutError::Disconnected) => {
            let exit = child.wait().map(|status| status.to_string()).unwrap_or_else(|e| e.to_string());
            Err(format!("exited ({exit}) after {:?}: {}", started.elapsed(), log()))
        }
        Err(RecvTimeoutError::Timeout) => {
            let state = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                .ok()
                .and_then(|status| status.lines().find(|line| line.starts_with("State:")).map(str::to_owned))
                .unwrap_or_default();
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("did not listen in {START_WAIT:?} ({state}): {}", log()))
        }
    }
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
