//! `POST /v1/authz/check`: may the caller use a permission now?

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};

use super::authn::AuthUser;
use crate::authz::{Permission, Verdict};
use crate::error::{Error, Problem};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"permission": "kyc:review"}))]
pub struct CheckRequest {
    /// `resource:action`, e.g. `kyc:review`.
    permission: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    /// An endpoint needing this permission would let the caller in on this session now.
    pub allowed: bool,
    /// The caller holds the permission (by a role or a live grant), MFA aside.
    pub granted: bool,
    /// Why not, when `granted` but not `allowed`: `mfa-required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// Whether the caller holds a permission, and whether it would let them in now (staff
/// endpoints also need MFA enabled and a session that passed it).
#[utoipa::path(
    operation_id = "authz_check",
    tag = "staff",
    request_body = CheckRequest,
    responses(
        (status = 200, body = CheckAnswer),
        (status = 400, body = Problem, description = "unknown permission", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/authz/check")]
pub async fn check(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CheckRequest>,
) -> Result<HttpResponse, Error> {
    let Some(permission) = Permission::parse(&body.permission) else {
        let mut errors = crate::error::FieldErrors::new();
        let known: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
        errors.insert("permission".into(), vec![format!("must be one of {}", known.join(", "))]);
        return Err(Problem::invalid_fields(errors).into());
    };
    let verdict = state.authz.check(user.user_id, user.session_id, permission).await?;
    let granted = verdict.granted();
    let answer = match verdict {
        Verdict::Allowed(_) => CheckAnswer { allowed: true, granted, reason: None },
        _ if granted => CheckAnswer { allowed: false, granted, reason: Some("mfa-required") },
        _ => CheckAnswer { allowed: false, granted, reason: None },
    };
    Ok(HttpResponse::Ok().json(answer))
}
