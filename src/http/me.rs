//! `/v1/users/me`: profile, its update and deletion, password change, export request.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::authn::AuthUser;
use super::guards::StepUp;
use super::peer::Peer;
use crate::error::{Error, Problem};
use crate::exports::{ExportKind, Format, Request as ExportRequest};
use crate::identity::fields::{Address, Fields, FullName, Phone};
use crate::identity::users::{Profile, ProfilePatch};
use crate::state::AppState;

/// The caller's profile. The full SSN never leaves the server: only its last four digits.
#[utoipa::path(tag = "users", responses((status = 200, body = Profile), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[get("/v1/users/me")]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(state.identity.profile(user.user_id).await?))
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "+14155550123", "address": "1 Main St, Springfield"}))]
pub struct ProfileUpdate {
    #[serde(default)]
    full_name: Option<String>,
    /// E.164; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    /// One line or `{line1, line2?, city, region?, postal_code, country}`; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<crate::identity::fields::Address>)]
    address: Option<Option<serde_json::Value>>,
}

impl ProfileUpdate {
    fn parse(self) -> Result<ProfilePatch, Problem> {
        let mut fields = Fields::default();
        let full_name = self.full_name.and_then(|n| fields.take("full_name", FullName::parse(&n)));
        let phone = self.phone.map(|p| p.and_then(|p| fields.take("phone", Phone::parse(&p))));
        let address = self.address.map(|a| a.and_then(|a| fields.take("address", Address::parse(&a))));
        fields.finish()?;
        Ok(ProfilePatch { full_name, phone, address })
    }
}

/// Change name, phone or address; answers the updated profile.
#[utoipa::path(tag = "users", request_body = ProfileUpdate,
    responses((status = 200, body = Profile), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[patch("/v1/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<ProfileUpdate>,
) -> Result<HttpResponse, Error> {
    let patch = body.into_inner().parse()?;
    let profile = state.identity.update_profile(user.user_id, patch, &peer.device(None)).await?;
    Ok(HttpResponse::Ok().json(profile))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
pub struct DeleteRequest {
    #[schema(value_type = String)]
    password: SecretString,
}

/// Delete the account (password required). Sessions end at once; personal data is purged after
/// the retention period.
#[utoipa::path(tag = "users", request_body = DeleteRequest,
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`invalid-credentials`: wrong password")),
    security(("bearer" = [])))]
#[delete("/v1/users/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    user: AuthUser,
    peer: Peer,
    body: web::Json<DeleteRequest>,
) -> Result<HttpResponse, Error> {
    state.identity.delete_account(user.user_id, body.into_inner().password, &peer.device(None)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "tr0ubadour and a lighthouse"}))]
pub struct PasswordChange {
    #[schema(value_type = String)]
    current_password: SecretString,
    #[schema(value_type = String)]
    new_password: SecretString,
}

/// Change the password; every other session ends. With MFA on, the session must have passed
/// MFA within `[mfa] step_up_minutes`.
#[utoipa::path(tag = "users", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = Problem, description = "the new password is refused"),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`invalid-credentials`, `mfa-step-up-required`")),
    security(("bearer" = [])))]
#[post("/v1/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: StepUp,
    peer: Peer,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    let device = peer.device(None);
    let (current, new) = (body.current_password, body.new_password);
    state.identity.change_password(user.user_id, user.session_id, current, new, &device).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportAccepted {
    export_id: Uuid,
}

/// Ask for an export of everything held about you (profile with the SSN's last four digits
/// only, sessions, security events, audit entries, documents' metadata, KYC history, accounts
/// and transactions); it is built in the background and mailed as a link. The link stops
/// working when it expires (`[exports] ttl_hours`), when the account is deleted, and when every
/// session is ended (sign-out everywhere, password reset or change) after the request.
#[utoipa::path(tag = "users", responses((status = 202, body = ExportAccepted),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/v1/users/me/export")]
pub async fn export_me(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let export_id = request_export(&state, &user, &peer).await?;
    Ok(HttpResponse::Accepted().json(ExportAccepted { export_id }))
}

/// Deprecated alias of `POST /v1/users/me/export`, kept for one release (a request with an
/// effect must not be a GET). Answers the same, with `Deprecation: true` and a `Link` to the
/// POST.
#[utoipa::path(tag = "users", operation_id = "export_me_deprecated_get",
    responses((status = 202, body = ExportAccepted),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/v1/users/me/export")]
pub async fn export_me_alias(state: web::Data<AppState>, user: AuthUser, peer: Peer) -> Result<HttpResponse, Error> {
    let export_id = request_export(&state, &user, &peer).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Deprecation", "true"))
        .insert_header(("Link", r#"</v1/users/me/export>; rel="successor-version""#))
        .json(ExportAccepted { export_id }))
}

/// Operations kept only as deprecated aliases: `(path, method)`, marked so in OpenAPI.
pub const DEPRECATED: [(&str, &str); 1] = [("/v1/users/me/export", "get")];

async fn request_export(state: &AppState, user: &AuthUser, peer: &Peer) -> Result<Uuid, Error> {
    // Only a live user may ask (a deleted one's sessions have ended, but a request may race).
    state.identity.live_user(user.user_id).await?;
    let request = ExportRequest { kind: ExportKind::User, user_id: user.user_id, format: Format::Json, filters: None };
    state.exports.request(request, &peer.device(None).actor(Some(user.user_id))).await
}
