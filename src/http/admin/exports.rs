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
use crate::error::{Error, Problem};
use crate::exports::{ExportStatus, Format, StaffExport};
use crate::http::guards::{Requires, perm};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"format": "csv", "filters": {"action": "user.locked"}}))]
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
) -> Result<HttpResponse, Error> {
    let AuditExportRequest { format, filters } = body.into_inner();
    let export_id = state.exports.request_audit(staff.user.user_id, &staff.actor, format, filters).await?;
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
) -> Result<HttpResponse, Error> {
    let found = state.exports.staff_export(staff.user.user_id, id.into_inner()).await?;
    let Some(StaffExport { export, url }) = found else {
        return Err(Problem::not_found("export").into());
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
