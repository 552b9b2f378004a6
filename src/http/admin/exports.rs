//! Audit-log exports for staff: `POST /v1/admin/audit-logs/export` asks for one (built in the
//! background by `build_export`), `GET /v1/admin/exports/{id}` says how far it is and, once ready,
//! hands out a signed download link. An export is its requester's: another staff member's id is
//! 404, like a missing one.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::query::AuditFilter;
use crate::error::{ApiError, Problem};
use crate::exports::{self, ExportKind, ExportStatus, Format, Request, link};
use crate::http::guards::{Requires, perm};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditExportRequest {
    format: Format,
    /// The same filters as `GET /v1/admin/audit-logs`; omitted means every entry.
    #[serde(default)]
    filters: AuditFilter,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportAccepted {
    export_id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportView {
    id: Uuid,
    status: ExportStatus,
    format: Format,
    requested_at: DateTime<Utc>,
    /// When the file and its link stop working (once ready).
    expires_at: Option<DateTime<Utc>>,
    /// The signed download link (`GET /v1/exports/{token}`), once ready.
    url: Option<String>,
}

/// Export the audit log (CSV or JSON) in the background: 202 `{export_id}`.
#[utoipa::path(operation_id = "admin_audit_export", tag = "staff", request_body = AuditExportRequest,
    responses((status = 202, body = ExportAccepted), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/admin/audit-logs/export")]
pub async fn audit_export(
    state: web::Data<AppState>,
    staff: Requires<perm::AuditExport>,
    body: web::Json<AuditExportRequest>,
) -> Result<HttpResponse, ApiError> {
    let AuditExportRequest { format, filters } = body.into_inner();
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && from >= to
    {
        return Err(Problem::bad_request("filters.from must be before filters.to").into());
    }
    let filters = serde_json::to_value(&filters).map_err(|e| ApiError::Internal(e.into()))?;
    let request = Request { kind: ExportKind::Audit, user_id: staff.user.user_id, format, filters: Some(filters) };
    let export_id = exports::request(&state, request, &staff.actor).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/admin/exports/{export_id}")))
        .json(ExportAccepted { export_id }))
}

/// An audit export you asked for: `{status, url?}`; `url` is a signed link once it is ready.
#[utoipa::path(operation_id = "admin_export", tag = "staff",
    params(("id" = Uuid, Path, description = "the export id")),
    responses((status = 200, body = ExportView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/exports/{id}")]
pub async fn export(
    state: web::Data<AppState>,
    staff: Requires<perm::AuditExport>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = exports::store::find(&state.db, id.into_inner()).await?;
    let Some(export) = found.filter(|e| e.kind == ExportKind::Audit && e.user_id == staff.user.user_id) else {
        return Err(Problem::not_found("export").into());
    };
    let url = match (export.status, export.expires_at) {
        (ExportStatus::Ready, Some(expires_at)) if expires_at > Utc::now() => {
            let token = link::sign(
                &state.keys.mac,
                link::ExportLink { export_id: export.id, user_id: export.user_id },
                expires_at,
            );
            Some(link::url(&state.config.public_url, &token))
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(ExportView {
        id: export.id,
        status: export.status,
        format: export.format,
        requested_at: export.requested_at,
        expires_at: export.expires_at,
        url,
    }))
}
