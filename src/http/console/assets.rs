//! The console's style sheet, compiled in (no CDN; the CSP allows only this origin's sheets).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get};

const CSS: &str = include_str!("../../../web/console/console.css");

/// The console's style sheet.
#[utoipa::path(operation_id = "console_assets_css", tag = "staff console", responses((status = 200, content_type = "text/css", body = String)))]
#[get("/console/assets/console.css")]
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")))
        .body(CSS)
}
