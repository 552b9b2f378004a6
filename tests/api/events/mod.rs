//! Events out: the outbox written with each change, the relay, signed webhooks to a real
//! receiver, the Redis Stream read by a real consumer group, and the live feed (SSE).

mod feed;
mod outbox;
pub(crate) mod receiver;
mod relay;
mod stream;
mod webhooks;

use figment::Figment;
use figment::providers::Serialized;
use serde_json::{Value, json};
use tresor::identity::Role;

use crate::support::{TestApp, spawn_app_with};

/// Small timings for the relay and the deliverer, private targets allowed (the receiver is on
/// 127.0.0.1).
pub fn quick(figment: Figment) -> Figment {
    figment
        .merge(Serialized::default("events.relay_poll_ms", 20))
        .merge(Serialized::default("events.feed_poll_ms", 200))
        .merge(Serialized::default("events.lease_secs", 2))
        .merge(Serialized::default("webhooks.poll_ms", 20))
        .merge(Serialized::default("webhooks.first_retry_secs", 1))
        .merge(Serialized::default("webhooks.allow_private_targets", true))
}

/// A test app with its relay and webhook deliverer running (in `tresor serve` they run with
/// the embedded job workers; a test app runs no workers unless started).
pub async fn events_app() -> (TestApp, Outflow) {
    with_outflow(spawn_app_with(quick).await)
}

pub fn with_outflow(app: TestApp) -> (TestApp, Outflow) {
    let outflow = Outflow::start(&app);
    (app, outflow)
}

/// The relay and deliverer of a test app, until `stop`ped (each test stops them at its end, so
/// nothing is left holding a connection when its runtime goes).
pub struct Outflow {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl Outflow {
    pub fn start(app: &TestApp) -> Self {
        let handlers = tresor::worker::Handlers::of(&app.state);
        let outflow = tresor::worker::relay::Outflow::of(&handlers).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
        actix_web::rt::spawn(async move {
            outflow
                .run(async {
                    let _ = stopped.await;
                })
                .await;
            let _ = done_tx.send(());
        });
        Self { stop: Some(stop), done: Some(done) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            tokio::time::timeout(std::time::Duration::from_secs(30), done).await.unwrap().unwrap();
        }
    }
}

/// An admin (MFA on, session past MFA) who manages webhooks.
pub async fn admin_token(app: &TestApp) -> String {
    app.staff_with_mfa(&[Role::Admin]).await.token
}

/// Registers an endpoint for `events`; answers its id and secret.
pub async fn endpoint(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = app.staff_post("/v1/admin/webhooks", token, json!({"url": url, "events": events})).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), body["secret"].as_str().unwrap().to_owned())
}

/// Every event in the outbox: `(type, data)`, oldest first.
pub async fn outbox(app: &TestApp) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT type, data FROM events ORDER BY id").fetch_all(app.state.db.reader()).await.unwrap();
    rows.into_iter().map(|(kind, data)| (kind, serde_json::from_str(&data).unwrap())).collect()
}
