//! `GET /v1/events`: the caller's own events as Server-Sent Events, each with its `id:` (the
//! event id), `event:` (its type) and `data:` (the event as webhooks receive it). A
//! `Last-Event-ID` header resumes after that event, from the outbox, so a reconnecting client
//! misses nothing; a comment line every `[events] heartbeat_secs` keeps proxies from closing an
//! idle stream. The stream ends when the caller's session is revoked.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::error::{Error, Kind, Problem};
use crate::events::{Event, FeedError, Subscription, Tick};
use crate::http::authn::AuthUser;
use crate::state::AppState;

fn refused(error: FeedError) -> Error {
    match error {
        FeedError::TooManyStreams(max) => Problem::new(
            Kind::RateLimited,
            "too-many-streams",
            format!("at most {max} event streams may be open at once per user; close one first"),
        )
        .with_retry_after(15)
        .into(),
        FeedError::UnknownLastEventId => {
            Problem::new(Kind::Invalid, "invalid-last-event-id", "Last-Event-ID does not name one of your events")
                .into()
        }
        FeedError::Database(error) => error.into(),
    }
}

fn frame(event: &Event) -> String {
    let data = serde_json::to_string(event).unwrap_or_default();
    format!("id: {}\nevent: {}\ndata: {data}\n\n", event.id, event.kind)
}

/// Your events, live.
#[utoipa::path(operation_id = "events_stream", tag = "events",
    params(("Last-Event-ID" = Option<Uuid>, Header, description = "resume after this event (what `EventSource` sends when it reconnects)")),
    responses((status = 200, description = "`text/event-stream`: `id:` (the event id), `event:` (its type), `data:` (the event, as webhooks receive it); `: heartbeat` comments", content_type = "text/event-stream", body = String),
        (status = 400, body = Problem, description = "`invalid-last-event-id`: not a UUID, or not one of your events", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "`too-many-streams`: the per-user cap (`[events] max_streams_per_user`)", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/events")]
pub async fn stream(state: web::Data<AppState>, user: AuthUser, req: HttpRequest) -> Result<HttpResponse, Error> {
    let last = match req.headers().get("last-event-id") {
        None => None,
        Some(raw) => Some(raw.to_str().ok().and_then(|s| Uuid::parse_str(s.trim()).ok()).ok_or_else(|| {
            Error::from(Problem::new(
                Kind::Invalid,
                "invalid-last-event-id",
                "Last-Event-ID must be an event id (a UUID)",
            ))
        })?),
    };
    let subscription = state.feed.open(user.user_id, last).await.map_err(refused)?;
    let body = futures::stream::unfold((subscription, state, user.session_id), next_chunk);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

type Streaming = (Subscription, web::Data<AppState>, Uuid);

/// The next piece of the stream, or its end (session revoked, or the outbox unreadable).
async fn next_chunk(
    (mut subscription, state, session): Streaming,
) -> Option<(Result<Bytes, actix_web::Error>, Streaming)> {
    loop {
        if !state.sessions.is_live(session).await.unwrap_or(false) {
            return None;
        }
        let chunk = match subscription.next().await {
            Ok(Tick::Heartbeat) => ": heartbeat\n\n".to_owned(),
            Ok(Tick::Events(events)) if events.is_empty() => continue,
            Ok(Tick::Events(events)) => events.iter().map(frame).collect(),
            Err(error) => {
                tracing::warn!(error = %error, "event stream: the outbox is unreadable; ending the stream");
                return None;
            }
        };
        return Some((Ok(Bytes::from(chunk)), (subscription, state, session)));
    }
}
