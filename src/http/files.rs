//! `GET /v1/files/{signed}`: the bearer of a signed link gets the decrypted clean bytes as an
//! attachment. The link itself is the credential; when the request also carries an access
//! token, it must be the token of the user the link was made for. Every refusal is one 404.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use futures::TryStreamExt;

use super::authn::{self, AuthUser};
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::state::AppState;

/// The file's bytes, as OpenAPI shows them.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(#[allow(dead_code)] Vec<u8>);

/// The caller, when the request carries `Authorization: Bearer …` (which must then be valid).
pub(super) async fn presenter(state: &AppState, req: &HttpRequest) -> Result<Option<AuthUser>, Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 4096)
        .ok_or_else(|| authn::invalid_token("is not a bearer token"))?;
    Ok(Some(authn::authenticate(state, token).await?))
}

/// Download through a signed link (from `POST /v1/documents/{id}/download` or the staff
/// endpoint). Expired, altered or someone else's links are all 404.
#[utoipa::path(
    operation_id = "download_file",
    tag = "documents",
    params(("signed" = String, Path, description = "the token of a signed link")),
    responses(
        (status = 200, description = "the file, as an attachment", 
            content((FileBody = "image/png"), (FileBody = "image/jpeg"), (FileBody = "application/pdf"))),
        (status = 401, description = "an `Authorization` header that is not a valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such link: expired, altered, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/files/{signed}")]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    peer: Peer,
    signed: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let user = presenter(&state, &req).await?;
    let user_id = user.as_ref().map(|u| u.user_id);
    let actor = peer.device(None).actor(user_id);
    let file = state.documents.download(&actor, &signed, user_id).await?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(file.filename.clone())],
    };
    let size = u64::try_from(file.size).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header(disposition)
        .no_chunking(size)
        .streaming(file.body.into_stream().map_ok(Bytes::from)))
}
