//! `POST /v1/auth/password/forgot`, `/password/reset`, `/invite/accept`.

use actix_web::{HttpResponse, post, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::client::Client;
use crate::error::{ApiError, Problem};
use crate::identity::fields::Email;
use crate::identity::service::recovery;
use crate::identity::store::one_time::Purpose;
use crate::ratelimit::Limit;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    client: Client,
    body: web::Json<ForgotRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = client.ip_text();
    state.rate_limits.enforce(Limit::PasswordForgot, &ip, Some(&ip)).await?;
    if let Ok(email) = Email::parse(&body.email) {
        let device = client.device(None);
        // Answered before the work is done, so the answer's timing tells nothing either.
        actix_web::rt::spawn(async move {
            if let Err(error) = recovery::forgot(&state, email.as_str(), &device).await {
                tracing::error!(error = ?error, "password reset request failed");
            }
        });
    }
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    client: Client,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    recovery::set_with_token(
        &state,
        Purpose::PasswordReset,
        body.token.trim(),
        body.new_password,
        &client.device(None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    client: Client,
    body: web::Json<InviteAcceptRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    recovery::set_with_token(&state, Purpose::Invite, body.token.trim(), body.password, &client.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
