//! The live feed: `GET /v1/events` shows the caller's scan results and incoming transfers as
//! they are relayed, resumes from `Last-Event-ID` without a gap, never shows another user's
//! events, caps streams per user, and ends when the session is revoked.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tresor::documents::DocumentType;
use uuid::Uuid;

use super::events_app;
use crate::support::TestApp;
use crate::support::documents::{document_image, jpeg, scan, uploaded};
use crate::support::ledger::{approved, money};

/// An open SSE stream read frame by frame.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

/// One `id:` / `event:` / `data:` frame.
#[derive(Debug)]
struct Frame {
    id: String,
    kind: String,
    data: Value,
}

impl Stream {
    async fn open(app: &TestApp, token: &str, last: Option<&str>) -> reqwest::Response {
        let mut request = app.client.get(app.url("/v1/events")).bearer_auth(token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        request.send().await.unwrap()
    }

    async fn new(app: &TestApp, token: &str, last: Option<&str>) -> Self {
        let response = Self::open(app, token, last).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next event frame (heartbeats skipped), or `None` when the stream ended or `within`
    /// passed.
    async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field =
                    |name: &str| block.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned));
                if let (Some(id), Some(kind), Some(data)) = (field("id"), field("event"), field("data")) {
                    return Some(Frame { id, kind, data: serde_json::from_str(&data).unwrap() });
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Frames until one satisfies `wanted`.
    async fn until(&mut self, within: Duration, wanted: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        let mut seen = Vec::new();
        while let Some(frame) = self.next(within).await {
            let done = wanted(&frame);
            seen.push(frame);
            if done {
                return seen;
            }
        }
        panic!("the wanted event did not arrive; saw {seen:?}");
    }
}

async fn account(app: &TestApp, token: &str) -> Value {
    let response = app.post_authed("/v1/accounts", token, &json!({"kind": "checking", "currency": "USD"})).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[actix_web::test]
async fn a_client_sees_its_scan_result_and_incoming_transfer_and_resumes_without_a_gap() {
    let (app, outflow) = events_app().await;
    let (alice, bob) = (approved(&app).await, approved(&app).await);
    let (a, b) = (account(&app, &alice.access).await, account(&app, &bob.access).await);
    let alice_id: Uuid = alice.user.id.parse().unwrap();
    let mut stream = Stream::new(&app, &alice.access, None).await;

    // Her document's scan.
    let version = uploaded(&app, alice_id, DocumentType::Passport, &jpeg(&document_image(1200, 800))).await;
    let started = Instant::now();
    scan(&app, &version).await;
    let seen = stream.until(Duration::from_secs(20), |f| f.kind == "document.scanned").await;
    eprintln!("scan result on the live feed after {:?}", started.elapsed());
    assert_eq!(seen.last().unwrap().data["data"]["document_id"], version.id.to_string());

    // Bob's transfer to her.
    let bob_caller = tresor::ledger::service::Caller {
        user_id: bob.user.id.parse().unwrap(),
        session_id: Uuid::now_v7(),
        actor: tresor::audit::Actor::system(),
    };
    let b_id: Uuid = b["id"].as_str().unwrap().parse().unwrap();
    app.state.ledger.deposit(&bob_caller, b_id, money(10_000), None).await.unwrap();
    let started = Instant::now();
    let sent = app.state.ledger.transfer(&bob_caller, b_id, a["number"].as_str().unwrap(), money(250), None).await;
    assert_eq!(sent.unwrap().status, 201);
    let seen = stream.until(Duration::from_secs(20), |f| f.kind == "transaction.posted").await;
    eprintln!("incoming transfer on the live feed after {:?}", started.elapsed());
    let incoming = &seen.last().unwrap().data;
    assert_eq!(
        (incoming["data"]["kind"].as_str(), incoming["data"]["amount"].as_i64()),
        (Some("transfer_in"), Some(250))
    );
    assert_eq!(incoming["data"]["account_id"], a["id"]);
    let last = seen.last().unwrap().id.clone();
    assert_eq!(incoming["id"].as_str(), Some(last.as_str()));
    drop(stream);

    // While she is away: three more transfers to her, and Bob's own events.
    for amount in [1, 2, 3] {
        let sent =
            app.state.ledger.transfer(&bob_caller, b_id, a["number"].as_str().unwrap(), money(amount), None).await;
        assert_eq!(sent.unwrap().status, 201);
    }
    let mut resumed = Stream::new(&app, &alice.access, Some(&last)).await;
    let mut amounts = Vec::new();
    while amounts.len() < 3 {
        let frame = resumed.next(Duration::from_secs(20)).await.expect("the missed events arrive");
        assert_ne!(frame.id, last, "the event named by Last-Event-ID is not sent again");
        assert_eq!(frame.data["data"]["account_id"], a["id"], "only her own events: {frame:?}");
        amounts.push(frame.data["data"]["amount"].as_i64().unwrap());
    }
    assert_eq!(amounts, [1, 2, 3], "in order, none missed");

    // Her event ids resume nothing for Bob.
    let foreign = Stream::open(&app, &bob.access, Some(&last)).await;
    assert_eq!(foreign.status(), 400, "another user's event id does not resume anything");
    let garbage = Stream::open(&app, &bob.access, Some("not-an-id")).await;
    assert_eq!(garbage.status(), 400);
    outflow.stop().await;
}

#[actix_web::test]
async fn streams_are_capped_per_user_and_end_when_the_session_is_revoked() {
    let app = crate::support::spawn_app_with(|f| {
        super::quick(f).merge(figment::providers::Serialized::default("events.max_streams_per_user", 2))
    })
    .await;
    let alice = app.signed_in().await;
    let mut first = Stream::new(&app, &alice.access, None).await;
    let _second = Stream::new(&app, &alice.access, None).await;
    let third = Stream::open(&app, &alice.access, None).await;
    assert_eq!(third.status(), 429);
    let problem: Value = third.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/too-many-streams");
    let anonymous = app.client.get(app.url("/v1/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let response = app.logout(&alice.access, &json!({})).await;
    assert_eq!(response.status(), 204);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match first.response.chunk().await {
                Ok(Some(_)) => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ended with its session");
}
