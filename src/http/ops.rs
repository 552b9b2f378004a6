//! Prometheus metrics of the process and its requests: on the public port, or, with
//! `[metrics] bind` set, on a private address of their own (and then absent from the API).

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, get, web};
use anyhow::Context;

use crate::state::AppState;

/// Prometheus text exposition format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    metrics_process::Collector::default().collect();
    state.queue_levels().await.publish();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(state.metrics.render())
}

/// A server that answers `GET /metrics` on `bind` and nothing else (404 elsewhere), with one
/// worker: scrapes are rare and small. Returns its port and the server, not yet running.
pub fn serve_metrics(bind: SocketAddr, state: web::Data<AppState>) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(bind).with_context(|| format!("binding the metrics address {bind}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || App::new().app_data(state.clone()).service(metrics))
        .listen(listener)?
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .run();
    tracing::info!(%bind, port, "serving /metrics privately");
    Ok((port, server))
}
