//! `/v1/kyc`: submit for review, and where the caller stands.

use actix_web::{HttpResponse, get, post, web};

use super::authn::AuthUser;
use super::peer::Peer;
use crate::error::Kind;
use crate::error::{Error, FieldErrors, Problem};
use crate::kyc::{KycError, KycState};
use crate::state::AppState;

/// How each KYC refusal reads as a problem (the staff endpoints share it).
impl From<KycError> for Error {
    fn from(error: KycError) -> Self {
        let detail = error.to_string();
        let conflict = |slug: &str| Problem::new(Kind::Conflict, slug, detail.clone()).into();
        match error {
            KycError::AlreadySubmitted => conflict("kyc-already-submitted"),
            KycError::AlreadyApproved => conflict("kyc-already-approved"),
            KycError::NotSubmitted => conflict("kyc-not-submitted"),
            KycError::Raced => conflict("conflict"),
            KycError::DocumentsMissing { notes } => {
                let mut problem = Problem::new(Kind::Unprocessable, "kyc-documents-missing", detail);
                problem.errors.insert("documents".to_owned(), notes);
                problem.into()
            }
            KycError::InvalidReason(message) => {
                let errors: FieldErrors = [("reason".to_owned(), vec![message.to_owned()])].into_iter().collect();
                Problem::invalid_fields(errors).into()
            }
            KycError::OwnSubmission => Problem::new(Kind::Forbidden, "forbidden", detail).into(),
            KycError::UnknownUser => Problem::not_found("user").into(),
            KycError::Store(error) => error.into(),
            KycError::Internal(error) => Self::Internal(error),
        }
    }
}

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
