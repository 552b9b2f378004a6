//! `GET /v1/exports/{token}`: the file of a finished export, for the bearer of its signed link.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};

use crate::error::{Error, Problem};
use crate::http::peer::Peer;
use crate::state::AppState;

/// Download a finished export. The link comes by email (a user's own export) or from
/// `GET /v1/admin/exports/{id}`; it is valid until the export expires. An expired, altered or
/// unknown link is 404, all alike.
#[utoipa::path(tag = "users", operation_id = "download_export",
    params(("token" = String, Path, description = "the signed token of the link")),
    responses((status = 200, description = "the export file (JSON or CSV), as an attachment"),
        (status = 404, body = Problem)))]
#[get("/v1/exports/{token}")]
pub async fn download_export(
    state: web::Data<AppState>,
    token: web::Path<String>,
    peer: Peer,
) -> Result<HttpResponse, Error> {
    let actor = peer.device(None).actor(None);
    let Some(file) = state.exports.download(&token, actor).await? else {
        return Err(Problem::not_found("export").into());
    };
    Ok(HttpResponse::Ok()
        .content_type(file.format.content_type())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file.filename)],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(file.bytes))
}
