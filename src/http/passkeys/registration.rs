//! Adding, listing and removing passkeys.

use actix_web::{HttpResponse, delete, get, post, web};
use uuid::Uuid;

use super::{CeremonyAnswer, PasskeyList, PasskeyView, RegisterFinish};
use crate::error::{Error, FieldErrors, Problem};
use crate::http::authn::AuthUser;
use crate::http::guards::StepUp;
use crate::http::peer::Peer;
use crate::ratelimit::Limit;
use crate::state::AppState;

const MAX_NAME: usize = 64;

fn passkey_name(raw: Option<String>) -> Result<String, Error> {
    let name = raw.map(|n| n.trim().to_owned()).unwrap_or_default();
    if name.is_empty() {
        return Ok("Passkey".to_owned());
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        let mut errors = FieldErrors::new();
        errors
            .insert("name".to_owned(), vec![format!("must be 1 to {MAX_NAME} characters without control characters")]);
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(name)
}

/// Start adding a passkey: the options for `navigator.credentials.create` (user verification
/// required, a discoverable credential). A user who has a second factor already must have
/// stepped up.
#[utoipa::path(
    operation_id = "passkey_register_start",
    tag = "mfa",
    responses(
        (status = 200, body = CeremonyAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`mfa-step-up-required`", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/passkeys/register/start")]
pub async fn register_start(state: web::Data<AppState>, user: StepUp) -> Result<HttpResponse, Error> {
    let ceremony = state.passkeys.start_registration(user.user_id).await?;
    Ok(HttpResponse::Ok().json(CeremonyAnswer::from(ceremony)))
}

/// Finish adding a passkey with the authenticator's answer; the owner is emailed.
#[utoipa::path(
    operation_id = "passkey_register_finish",
    tag = "mfa",
    request_body = RegisterFinish,
    responses(
        (status = 201, body = PasskeyView),
        (status = 400, body = Problem, description = "`passkey-ceremony-invalid`, `passkey-registration-failed`, `invalid-request`", content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "`passkey-already-registered`", content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "`passkeys-unavailable`", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/mfa/passkeys/register/finish")]
pub async fn register_finish(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<RegisterFinish>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let name = passkey_name(body.name)?;
    let ip = peer.ip_text();
    state.rate_limits.enforce(Limit::Mfa, &format!("session:{}", user.session_id), Some(&ip)).await?;
    let device = peer.device(None);
    let added =
        state.passkeys.finish_registration(user.user_id, body.ceremony.trim(), &body.credential, name, &device).await?;
    Ok(HttpResponse::Created().json(PasskeyView::from(added)))
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    operation_id = "passkey_list",
    tag = "mfa",
    responses((status = 200, body = PasskeyList), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/v1/mfa/passkeys")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let items = state.passkeys.list(user.user_id).await?.into_iter().map(PasskeyView::from).collect();
    Ok(HttpResponse::Ok().json(PasskeyList { items }))
}

/// Remove one of the caller's passkeys, on a session that stepped up recently; the owner is
/// emailed.
#[utoipa::path(
    operation_id = "passkey_remove",
    tag = "mfa",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "`mfa-step-up-required`", content_type = "application/problem+json"),
        (status = 404, body = Problem, description = "not the caller's passkey", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/mfa/passkeys/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: StepUp,
    peer: Peer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    state.passkeys.remove(user.user_id, id.into_inner(), &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}
