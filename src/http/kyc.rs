//! `/v1/kyc`: submit for review, and where the caller stands.

use actix_web::{HttpResponse, get, post, web};

use super::authn::AuthUser;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::kyc::KycState;
use crate::state::AppState;

/// Submit the caller's clean identity documents for staff review. Staff are notified.
#[utoipa::path(
    operation_id = "submit_kyc",
    tag = "kyc",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "submitted; staff review it", body = KycState),
        (status = 409, description = "`kyc-already-submitted` or `kyc-already-approved`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`kyc-documents-missing`: names what is missing (no identity document, still being scanned, rejected and why)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/kyc/submit")]
pub async fn submit(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let actor = peer.device(None).actor(Some(user.user_id));
    let submitted = state.kyc.submit(&actor, user.user_id).await?;
    Ok(HttpResponse::Accepted().json(submitted))
}

/// The caller's KYC status.
#[utoipa::path(
    operation_id = "get_kyc",
    tag = "kyc",
    security(("bearer" = [])),
    responses((status = 200, description = "where the caller stands", body = KycState))
)]
#[get("/v1/kyc")]
pub async fn status(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.kyc.state(user.user_id).await?))
}
