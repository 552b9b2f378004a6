//! Account statements: the list, a signed five-minute download link, and the download itself.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::files::presenter;
use super::ledger_request::caller;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::state::AppState;
use crate::statements::StatementLink;
use crate::statements::model::{Statement, StatementFormat};

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementList {
    pub items: Vec<Statement>,
    /// Always null: every statement of the account is listed (newest 240).
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"format": "pdf"}))]
pub struct DownloadBody {
    pub format: StatementFormat,
}

/// The statement file's bytes, as OpenAPI shows them.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct StatementBytes(#[allow(dead_code)] Vec<u8>);

/// The account's monthly statements, newest first; a job builds each month's on
/// `[statements] day` (the 1st).
#[utoipa::path(
    operation_id = "list_statements",
    tag = "money",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the statements", body = StatementList),
        (status = 404, description = "no such account of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/accounts/{id}/statements")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let items = state.statements.list(&caller(&user, &peer), *id).await?;
    Ok(HttpResponse::Ok().json(StatementList { items, next_cursor: None }))
}

/// A signed link to the statement as PDF or CSV, valid five minutes, for the caller only.
#[utoipa::path(
    operation_id = "link_statement",
    tag = "money",
    security(("bearer" = [])),
    request_body = DownloadBody,
    responses(
        (status = 200, description = "the signed link", body = StatementLink),
        (status = 400, description = "`format` is not `pdf` or `csv`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such account or statement of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/accounts/{id}/statements/{statement_id}/download")]
pub async fn link(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<DownloadBody>,
) -> Result<HttpResponse, Error> {
    let (account, statement) = path.into_inner();
    let link = state.statements.link(&caller(&user, &peer), account, statement, body.format).await?;
    Ok(HttpResponse::Ok().json(link))
}

/// Downloads a statement through its signed link. Expired, altered or someone else's links are
/// all 404.
#[utoipa::path(
    operation_id = "download_statement",
    tag = "money",
    params(("signed" = String, Path, description = "the token of a signed statement link")),
    responses(
        (status = 200, description = "the statement, as an attachment",
            content((StatementBytes = "application/pdf"), (StatementBytes = "text/csv"))),
        (status = 401, description = "an `Authorization` header that is not a valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such link: expired, altered, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/statement-files/{signed}")]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let user = presenter(&state, &req).await?.map(|u| u.user_id);
    let file = state.statements.open(&signed, user).await?.ok_or_else(|| Problem::not_found("statement"))?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(file.filename)],
    };
    Ok(HttpResponse::Ok().content_type(file.content_type).insert_header(disposition).body(file.bytes))
}
