//! `/v1/documents`: upload (multipart, streamed), list, read, versions, signed download links.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::paging::{self, PageQuery};
use super::peer::Peer;
use super::upload_form;
use crate::documents::{Access, DocumentVersion, NewUpload, SignedLink};
use crate::error::{Error, Kind, Problem};
use crate::ratelimit::Limit;
use crate::state::AppState;

/// Room for the multipart framing and the small fields around a file of the largest size.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    pub items: Vec<DocumentVersion>,
    /// The `cursor` of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The multipart form of an upload, as OpenAPI shows it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadRequest {
    /// `government_id`, `passport`, `drivers_license`, `proof_of_address`, `selfie` or `other`.
    document_type: String,
    /// Defaults to the document type; the same name and type makes a new version.
    name: Option<String>,
    /// PNG, JPEG or PDF (decided by content), at most 10 MiB. Must be the last part.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Which version to link; the latest when absent.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 1}))]
pub struct LinkRequest {
    pub version: Option<i64>,
}

/// 413 from `Content-Length` alone, before a byte of the body is read.
fn check_length(req: &HttpRequest, limit: u64) -> Result<(), Error> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit.saturating_add(FRAMING_ALLOWANCE) => Err(Problem::new(
            Kind::TooLarge,
            "payload-too-large",
            format!("the upload ({length} bytes) is larger than the limit of {limit} bytes for a file"),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Upload a document: the same name and type as an existing one makes its next version.
#[utoipa::path(
    operation_id = "upload_document",
    tag = "documents",
    security(("bearer" = [])),
    request_body(content = UploadRequest, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "stored, `pending_scan`; `Location` names it", body = DocumentVersion),
        (status = 400, description = "wrong multipart shape or field values", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload-too-large`: over 10 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported-media-type`: not multipart, or a file that is not PNG, JPEG or PDF", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate-limited` (`document_upload`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/documents")]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    peer: Peer,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::DocumentUpload, &user.user_id.to_string(), Some(&ip)).await?;
    upload_form::check_content_type(req.headers())?;
    check_length(&req, state.documents.max_upload_bytes())?;
    let form = upload_form::read(Multipart::new(req.headers(), payload)).await?;
    let new = NewUpload { owner_id: user.user_id, document_type: form.document_type, name: form.name };
    let actor = peer.device(None).actor(Some(user.user_id));
    let body = upload_form::file_stream(form.file, form.rest);
    let version = state.documents.upload(&actor, new, body).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/documents/{}", version.id))).json(version))
}

/// The latest version of each of the caller's documents.
#[utoipa::path(
    operation_id = "list_documents",
    tag = "documents",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "the caller's documents, latest version of each, oldest document first", body = DocumentList),
        (status = 400, description = "bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/documents")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let all = state.documents.list(&Access::Owner(user.user_id)).await?;
    let (items, next_cursor) = paging::page(all, &query, |v| v.id.to_string())?;
    Ok(HttpResponse::Ok().json(DocumentList { items, next_cursor }))
}

/// One of the caller's documents (its latest version); 404 when it is not theirs.
#[utoipa::path(
    operation_id = "get_document",
    tag = "documents",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the latest version", body = DocumentVersion),
        (status = 404, description = "no such document of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/documents/{id}")]
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.documents.get(&Access::Owner(user.user_id), *id).await?))
}

/// Every version of one of the caller's documents, newest first.
#[utoipa::path(
    operation_id = "list_document_versions",
    tag = "documents",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "every version, newest first", body = DocumentList),
        (status = 400, description = "bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such document of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/documents/{id}/versions")]
pub async fn versions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let all = state.documents.versions(&Access::Owner(user.user_id), *id).await?;
    let (items, next_cursor) = paging::page(all, &query, |v| v.version.to_string())?;
    Ok(HttpResponse::Ok().json(DocumentList { items, next_cursor }))
}

/// A download link valid 5 minutes, for the caller and one version only (the latest, or the
/// `version` named in the optional body).
#[utoipa::path(
    operation_id = "link_document",
    tag = "documents",
    security(("bearer" = [])),
    request_body(content = Option<LinkRequest>, description = "optional: `{\"version\": 1}`"),
    responses(
        (status = 200, description = "the signed link", body = SignedLink),
        (status = 404, description = "no such document (or version) of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`document-not-clean`: still being scanned, or rejected", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/documents/{id}/download")]
pub async fn link(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let request: LinkRequest = super::optional_json(&body)?;
    let link = state.documents.link(user.user_id, &Access::Owner(user.user_id), *id, request.version).await?;
    Ok(HttpResponse::Ok().json(link))
}
