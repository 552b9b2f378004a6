//! `POST /v1/auth/password/forgot`, `/password/reset`, `/invite/accept`.

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::identity::fields::Email;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct ForgotRequest {
    email: String,
}

/// Ask for a password-reset link. Always 202: whether the address has an account is not told.
#[utoipa::path(
    tag = "identity",
    request_body = ForgotRequest,
    responses((status = 202, description = "if the address has an account, a reset link is on its way"),
        (status = 429, body = Problem, description = "`rate-limited`"))
)]
#[post("/v1/auth/password/forgot")]
pub async fn forgot(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<ForgotRequest>,
) -> Result<HttpResponse, Error> {
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::PasswordForgot, &ip, Some(&ip)).await?;
    if let Ok(email) = Email::parse(&body.email) {
        // Answered before the work is done, so the answer's timing tells nothing either.
        state.identity.request_password_reset(email, peer.device(None));
    }
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "<token from the reset email>", "new_password": "tr0ubadour and a lighthouse"}))]
pub struct ResetRequest {
    token: String,
    #[schema(value_type = String)]
    new_password: SecretString,
}

/// Set a new password with the emailed token (single use, 30 minutes). Every session ends.
#[utoipa::path(
    tag = "identity",
    request_body = ResetRequest,
    responses((status = 204), (status = 400, body = Problem, description = "`invalid-token`, or a refused password"))
)]
#[post("/v1/auth/password/reset")]
pub async fn reset(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let device = peer.device(None);
    state.identity.reset_password(body.token.trim(), body.new_password, &device).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "<token from the invitation email>", "password": "correct horse battery staple"}))]
pub struct InviteAcceptRequest {
    token: String,
    #[schema(value_type = String)]
    password: SecretString,
}

/// Set the first password of an invited (or CLI-created) user; single use, 72 hours.
#[utoipa::path(
    tag = "identity",
    request_body = InviteAcceptRequest,
    responses((status = 204), (status = 400, body = Problem, description = "`invalid-token`, or a refused password"))
)]
#[post("/v1/auth/invite/accept")]
pub async fn accept_invite(
    state: web::Data<AppState>,
    peer: Peer,
    body: web::Json<InviteAcceptRequest>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let device = peer.device(None);
    state.identity.accept_invite(body.token.trim(), body.password, &device).await?;
    Ok(HttpResponse::NoContent().finish())
}
