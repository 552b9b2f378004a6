//! Prometheus metrics of the process and its requests.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

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
