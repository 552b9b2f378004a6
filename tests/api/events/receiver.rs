//! A real HTTP receiver for webhook deliveries, started by the test on 127.0.0.1 (actix-web),
//! and an independent Standard Webhooks verifier (its own HMAC over the documented string).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::support::jobs::eventually;

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses to answer first, in order; then 200.
    script: VecDeque<u16>,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

async fn take(req: HttpRequest, body: web::Bytes, inner: web::Data<Mutex<Inner>>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let received = Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let mut inner = inner.lock().unwrap();
    inner.received.push(received);
    let status = inner.script.pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body("ok")
}

impl Receiver {
    /// Starts a receiver that answers `script` first (e.g. `[500, 500, 500]`), then 200.
    pub fn start(script: &[u16]) -> Self {
        let inner = Arc::new(Mutex::new(Inner { received: Vec::new(), script: script.iter().copied().collect() }));
        let data = web::Data::from(inner.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(take)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        actix_web::rt::spawn(server);
        Self { inner, url: format!("http://127.0.0.1:{port}/hook") }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until `count` requests arrived (at most `within`).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        eventually(within, &format!("{count} webhook requests"), async || self.received().len() >= count).await;
        self.received()
    }
}

/// Whether one of the `v1,` signatures in `header` is the HMAC-SHA256 of
/// `"{id}.{timestamp}.{body}"` under the secret's bytes (the base64 after `whsec_`).
pub fn verifies(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    let expected = mac.finalize().into_bytes();
    received.signature.split(' ').filter_map(|s| s.strip_prefix("v1,")).any(|sig| {
        let given = STANDARD.decode(sig).unwrap_or_default();
        subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into()
    })
}
