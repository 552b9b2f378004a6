//! The identity a customer declared, for a reviewer with `pii:read`: audited as a PII read.

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::error::{Error, Problem};
use crate::http::guards::{Requires, perm};
use crate::kyc::DeclaredIdentity;
use crate::state::AppState;

/// The declared `{full_name, date_of_birth, address, ssn_last4, phone}` beside the KYC
/// documents.
#[utoipa::path(operation_id = "admin_user_identity", tag = "staff", params(("id" = Uuid, Path, description = "the user")),
    responses((status = 200, body = DeclaredIdentity),
        (status = 400, body = Problem, description = "`id` is not a UUID", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`forbidden`, `mfa-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "no such user", content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/admin/users/{id}/identity")]
pub async fn declared(
    state: web::Data<AppState>,
    staff: Requires<perm::PiiRead>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.kyc.declared_identity(&staff.actor, *id).await?))
}
