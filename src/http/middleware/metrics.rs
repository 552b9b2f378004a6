//! Request count and latency by method, route pattern and status, and the completion log line.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let outcome = next.call(req).await;
    let (status, route) = match &outcome {
        Ok(response) => (response.status(), response.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code(), None),
    };
    let elapsed = started.elapsed();
    // The route pattern, never the raw path: ids in paths would explode the label set.
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    let labels = [("method", method), ("route", route), ("status", status.as_u16().to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let span = tracing::Span::current();
    span.record("status", status.as_u16());
    span.record("latency_ms", latency_ms);
    // A refused request is the client's business, and a 503 (the in-flight cap, a dependency
    // that is down: counted, and its cause logged where it is found) says nothing new per
    // request: both at debug, so what a client sending bad or too many requests makes the
    // server write at the default level is nothing.
    if status.is_client_error() || status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
        tracing::debug!("request finished");
    } else if status.is_server_error() {
        tracing::error!("request finished");
    } else {
        tracing::info!("request finished");
    }
    outcome
}
