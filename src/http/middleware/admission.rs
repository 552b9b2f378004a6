//! What slow or numerous clients can hold of the server:
//!
//! - at most `server.max_in_flight` requests are handled at once by the process; one more is
//!   answered at once with 503 `overloaded` and `Retry-After`, before anything is read or
//!   allocated for it (the health and metrics endpoints are exempt, so probes still answer);
//! - a request's body must arrive in full within `server.body_timeout_secs` of its head: a
//!   trickled body is cut off with 408 `request-timeout` and the connection closed, so it
//!   frees its place instead of holding it for as long as the client likes.
//!
//! Slow heads are actix's `client_request_timeout` (5 s); slow statements are the database's
//! `statement_timeout`.

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::error::{Error, Kind, Problem};
use crate::http::problems::{response, with_status};

/// The process's admission state, shared by every HTTP worker thread.
#[derive(Clone, Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    body_timeout: Duration,
}

impl Admission {
    pub fn new(max_in_flight: usize, body_timeout: Duration) -> Self {
        Self { permits: Arc::new(Semaphore::new(max_in_flight.max(1))), body_timeout }
    }
}

/// Probes and scrapes are answered however busy the server is.
fn exempt(path: &str) -> bool {
    path.starts_with("/health/") || path == "/metrics"
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0);
    !matches!(*req.method(), Method::GET | Method::HEAD)
        && (announced || headers.contains_key(header::TRANSFER_ENCODING))
}

pub async fn admit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(admission) = req.app_data::<web::Data<Admission>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    if exempt(req.path()) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let Ok(_permit) = admission.permits.clone().try_acquire_owned() else {
        metrics::counter!("http_overloaded_total").increment(1);
        let problem = Problem::new(
            Kind::Unavailable,
            "overloaded",
            "the server is handling as many requests as it can; retry shortly",
        )
        .with_retry_after(1);
        return Err(Error::Rejected(problem).into());
    };
    let timed_out = Rc::new(Cell::new(false));
    if has_body(&req) {
        let payload = req.take_payload();
        req.set_payload(with_deadline(payload, admission.body_timeout, timed_out.clone()));
    }
    let (request, outcome) = match next.call(req).await {
        Ok(response) => {
            let (request, response) = response.into_parts();
            (request, Ok(response))
        }
        Err(error) => return Err(error),
    };
    if timed_out.get() {
        metrics::counter!("http_body_timeouts_total").increment(1);
        let seconds = admission.body_timeout.as_secs();
        let problem = with_status(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            format!("the request body did not arrive within {seconds} s"),
        );
        let mut rendered: HttpResponse = response(&problem);
        // The rest of the body may still be trickling in: this connection is done.
        rendered.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(ServiceResponse::new(request, rendered));
    }
    outcome.map(|response| ServiceResponse::new(request, response.map_into_boxed_body()))
}

/// The body as it arrives, ending in an error once `timeout` has passed since the request began.
fn with_deadline(payload: Payload, timeout: Duration, timed_out: Rc<Cell<bool>>) -> Payload {
    let sleep = Box::pin(actix_web::rt::time::sleep(timeout));
    let stream = futures::stream::unfold(Some((payload, sleep)), move |state| {
        let timed_out = timed_out.clone();
        async move {
            let (mut payload, mut sleep) = state?;
            tokio::select! {
                chunk = payload.next() => chunk.map(|chunk| (chunk, Some((payload, sleep)))),
                () = &mut sleep => {
                    timed_out.set(true);
                    let error = io::Error::new(io::ErrorKind::TimedOut, "the request body took too long to arrive");
                    Some((Err(PayloadError::Io(error)), None))
                }
            }
        }
    });
    // Fused: a reader may poll again after the end (multipart does).
    Payload::Stream { payload: Box::pin(stream.fuse()) }
}
