//! The hosted pages' sheet and script, compiled in (no CDN; the CSP allows only these).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get};

const CSS: &str = include_str!("../../../web/assets/hosted.css");
const JS: &str = include_str!("../../../web/assets/hosted.js");

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type))).body(body)
}

/// The hosted pages' style sheet.
#[utoipa::path(tag = "hosted pages", responses((status = 200, content_type = "text/css", body = String)))]
#[get("/assets/hosted.css")]
pub async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

/// The hosted pages' optional script (moves a `#token=` fragment into the query).
#[utoipa::path(tag = "hosted pages", responses((status = 200, content_type = "text/javascript", body = String)))]
#[get("/assets/hosted.js")]
pub async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}
